"""BFCL v4 as a :class:`~farm.benchmarks.base.Benchmark`: single-turn AST, relevance, multi-turn.

The machinery stays in its rooms: categories and groups in :mod:`farm.suites.categories`,
single-turn scoring (AST checker, relevance) in :mod:`farm.scoring`, multi-turn
conversations and their checker in :mod:`farm.multiturn`, sections and weights in
:mod:`farm.scoring.sections`. This module says which applies to which case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from farm.benchmarks.base import Benchmark
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
from farm.suites.categories import ALL, GROUPS, is_multi_turn

if TYPE_CHECKING:
    from farm.endpoints.pool import EndpointPool
    from farm.inference import InferenceOutcome, ToolRetrieval
    from farm.models.registry import ModelSpec


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
        ("Relevance", "relevance"),
        ("Irrelevance", "irrelevance"),
    )

    def metrics(self) -> tuple[Metric, ...]:
        """BFCL's columns with the titles of its ``data_overall.csv``."""
        return BFCL_METRICS

    def never_na(self) -> frozenset[str]:
        """Overall, Live, Multi Turn and Agentic: BFCL never shows them as N/A."""
        return NEVER_NA

    def needs_suite_extra(self, case: Case) -> bool:
        """Multi-turn cases build their environments from the suite's stored sources."""
        return is_multi_turn(case.category)

    async def solve(
        self,
        case: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
        tool_retrieval: ToolRetrieval | None = None,
    ) -> InferenceOutcome:
        """One request (single-turn), or BFCL's conversation loop (multi-turn)."""
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
        """BFCL's AST or relevance checker (single-turn), or its multi-turn checker."""
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
        from farm.scoring.score import score_inference_error

        return score_inference_error(case, message)

    def sections(self, scores: Mapping[str, CategoryScore]) -> list[SectionScore]:
        """BFCL v4's sections, then the farm's Overall over the categories that ran.

        :func:`farm.scoring.sections.compute_sections` and
        :func:`farm.scoring.sections.compute_ran_overall` (never in BFCL's files).
        """
        return [*compute_sections(scores), compute_ran_overall(scores)]
