"""BFCL v4 as a :class:`~farm.benchmarks.base.Benchmark`: single-turn, multi-turn, agentic.

The machinery stays in its rooms: categories and groups in :mod:`farm.suites.categories`,
single-turn scoring (AST checker, relevance) in :mod:`farm.scoring`, multi-turn
conversations and their checker in :mod:`farm.multiturn`, agentic tools and checker in
:mod:`farm.agentic` (solved by :mod:`farm.benchmarks.bfcl.agentic`), sections and weights
in :mod:`farm.scoring.sections`. This module says which applies to which case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from farm.agentic.sensitivity import MAX_DELTA, STD
from farm.benchmarks.base import Benchmark, StatMetric
from farm.benchmarks.registry import benchmark
from farm.scoring.metrics import BFCL_METRICS, NEVER_NA, Metric
from farm.scoring.sections import (
    RAN_OVERALL,
    SECTION_NAMES,
    CategoryScore,
    SectionScore,
    compute_ran_overall,
    compute_sections,
)
from farm.scoring.verdict import Verdict
from farm.suites.case import Case
from farm.suites.categories import (
    ALL,
    FORMAT_SENSITIVITY,
    GROUPS,
    is_agentic,
    is_memory,
    is_multi_turn,
)

if TYPE_CHECKING:
    from farm.endpoints.pool import EndpointPool
    from farm.inference import InferenceOutcome, ToolRetrieval
    from farm.models.registry import ModelSpec


#: BFCL's format-sensitivity columns: the category's accuracy (not in BFCL's files), then
#: the two statistics of ``data_overall.csv``.
FORMAT_SENSITIVITY_METRICS: tuple[Metric, ...] = (
    Metric(FORMAT_SENSITIVITY, "Format Sensitivity Acc"),
    StatMetric(MAX_DELTA, "Format Sensitivity Max Delta", "FS Max Delta"),
    StatMetric(STD, "Format Sensitivity Standard Deviation", "FS Std"),
)


@benchmark("bfcl")
class Bfcl(Benchmark):
    """The Berkeley Function Calling Leaderboard v4, scored exactly as ``bfcl evaluate``."""

    categories = ALL
    groups = GROUPS
    section_names = (*SECTION_NAMES, RAN_OVERALL)
    columns = (
        ("Overall", "overall"),
        ("Overall (ran only)", RAN_OVERALL),
        ("Non-Live AST", "non_live"),
        ("Live", "live"),
        ("Multi Turn", "multi_turn"),
        ("Agentic", "agentic"),
        ("Web Search", "web_search"),
        ("Memory", "memory"),
        ("Relevance", "relevance"),
        ("Irrelevance", "irrelevance"),
    )

    def metrics(self) -> tuple[Metric, ...]:
        """BFCL's columns with the titles of its ``data_overall.csv``.

        Then format sensitivity (not part of Overall): its accuracy (full views only) and
        its max delta and standard deviation (raw numbers, as BFCL shows them).
        """
        return (*BFCL_METRICS, *FORMAT_SENSITIVITY_METRICS)

    def never_na(self) -> frozenset[str]:
        """Overall, Live, Multi Turn and Agentic: BFCL never shows them as N/A."""
        return NEVER_NA

    def needs_suite_extra(self, case: Case) -> bool:
        """Multi-turn environments and memory prompts and chains come from the suite row."""
        return is_multi_turn(case.category) or is_memory(case.category)

    def shard_group(self, case_id: str, category: str) -> str | None:
        """A memory question waits for its scenario's chain: ``<category>:<scenario>``."""
        if not is_memory(category):
            return None
        from farm.benchmarks.bfcl.agentic import chain_key

        return chain_key(case_id, category)

    def chain_steps(self, key: str, suite_extra: Mapping[str, Any] | None) -> list[str]:
        """The scenario's prerequisite ids in BFCL's order (``memory_kv_prereq_0-...``)."""
        from farm.benchmarks.bfcl.agentic import chain_step_ids

        return chain_step_ids(key, suite_extra)

    async def run_chain(
        self,
        key: str,
        question: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> InferenceOutcome | None:
        """Run the scenario's prerequisite conversations, storing the memory after each."""
        from farm.benchmarks.bfcl.agentic import run_chain_in_shard

        return await run_chain_in_shard(key, question, spec, pool, suite_extra)

    async def solve(
        self,
        case: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
        tool_retrieval: ToolRetrieval | None = None,
    ) -> InferenceOutcome:
        """One request (single-turn), or BFCL's conversation loop (multi-turn, agentic)."""
        if is_agentic(case.category):
            from farm.benchmarks.bfcl.agentic import solve_agentic

            return await solve_agentic(case, spec, pool, suite_extra)
        if is_multi_turn(case.category):
            from farm.benchmarks.bfcl.conversation import run_conversation

            return await run_conversation(case, spec, pool, dict(suite_extra or {}))
        from farm.inference import infer_case

        return await infer_case(case, spec, pool, tool_retrieval=tool_retrieval)

    def score(
        self,
        case: Case,
        reply: Any,
        *,
        mode: str,
        underscore_to_dot: bool,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """BFCL's AST or relevance checker (single-turn), its multi-turn or agentic checker."""
        if is_agentic(case.category):
            from farm.agentic.checker import score_agentic
            from farm.formats import get_format

            return score_agentic(reply, list(case.answer or []), mode=get_format(mode))
        if is_multi_turn(case.category):
            from farm.formats import get_format
            from farm.multiturn.checker import score_multi_turn

            get_format(mode)  # unknown mode: ConfigError
            return score_multi_turn(
                case, reply, mode=mode, underscore_to_dot=underscore_to_dot, suite_extra=suite_extra
            )
        from farm.scoring.score import score_case

        return score_case(case, reply, mode=mode, underscore_to_dot=underscore_to_dot)

    def score_failure(self, case: Case, message: str) -> Verdict:
        """BFCL's verdict on ``Error during inference`` (irrelevance counts it correct)."""
        if is_agentic(case.category):
            from farm.agentic.checker import INFERENCE_ERROR

            return Verdict(False, INFERENCE_ERROR, [f"Error during inference: {message}"[:2000]])
        from farm.scoring.score import score_inference_error

        return score_inference_error(case, message)

    def sections(self, scores: Mapping[str, CategoryScore]) -> list[SectionScore]:
        """BFCL v4's sections, then the farm's Overall over the categories that ran.

        :func:`farm.scoring.sections.compute_sections` and
        :func:`farm.scoring.sections.compute_ran_overall` (never in BFCL's files).
        """
        return [*compute_sections(scores), compute_ran_overall(scores)]
