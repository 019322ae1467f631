"""The :class:`Benchmark` protocol: everything the farm's core knows about a benchmark.

The producer, the shard runner, the ledger's finaliser and the reports speak only this
protocol; BFCL (:mod:`farm.benchmarks.bfcl`) is one implementation. Shapes:

- a *case* is a :class:`~farm.suites.case.Case` stored in the suite store (``test_cases``);
  its ``category`` names the benchmark that owns it;
- a *reply* is whatever :meth:`Benchmark.solve` put in ``InferenceOutcome.raw_output``
  (stored as the result's ``raw_output``) and :meth:`Benchmark.score` reads back;
- scores per category are :class:`~farm.scoring.sections.CategoryScore`; sections
  (aggregates shown on the leaderboard) are :class:`~farm.scoring.sections.SectionScore`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from farm.scoring.metrics import Metric
from farm.scoring.sections import CategoryScore, SectionScore
from farm.scoring.verdict import Verdict
from farm.suites.case import Case

if TYPE_CHECKING:
    from farm.endpoints.pool import EndpointPool
    from farm.inference import InferenceOutcome, ToolRetrieval
    from farm.models.registry import ModelSpec

#: ``error_type`` of the default verdict for a case whose inference failed.
INFERENCE_ERROR = "inference_error"


@dataclass(frozen=True)
class StatMetric(Metric):
    """A leaderboard column showing a raw statistic of a run rather than an accuracy.

    ``name`` is the statistic's name as stored (``run_scores`` rows of kind
    ``format_stat``, e.g. ``accuracy_max_delta``); its cell is the number as stored
    (``str()``, BFCL's convention for such columns), N/A when the run has none.
    """


class Benchmark(ABC):
    """One benchmark: its categories, how a case is solved and scored, how a run aggregates.

    Register a subclass with :func:`farm.benchmarks.registry.benchmark`. Abstract:
    :meth:`solve`, :meth:`score` and :meth:`sections`; the rest are hooks with defaults.

    Attributes:
        name: the registered name.
        categories: the leaf categories it owns, in display order (unique across
            benchmarks).
        groups: group name -> member categories (``all`` is added: every category).
        section_names: the sections :meth:`sections` returns, in display order; the first,
            ``overall``, ranks the leaderboard.
        columns: ``(header, section or category)`` pairs the benchmark contributes to
            leaderboard views, headline first (the compact views; :meth:`metrics` says how
            each is titled in the full views and when it is N/A).
    """

    name: ClassVar[str] = ""
    categories: ClassVar[tuple[str, ...]] = ()
    groups: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    section_names: ClassVar[tuple[str, ...]] = ("overall",)
    columns: ClassVar[tuple[tuple[str, str], ...]] = (("Overall", "overall"),)

    def metrics(self) -> tuple[Metric, ...]:
        """The leaderboard columns as :class:`~farm.scoring.metrics.Metric` entries.

        Default: one per :attr:`columns` pair, titled by its header; ``overall`` is never
        N/A (a member that did not run counts as 0), any other is N/A when one did not run.
        """
        return tuple(
            Metric(name, header, header, never_na=name == "overall")
            for header, name in self.columns
        )

    def never_na(self) -> frozenset[str]:
        """Sections shown even when a member did not run (default: those of :meth:`metrics`)."""
        return frozenset(m.name for m in self.metrics() if m.never_na)

    def owns(self, category: str) -> bool:
        """Whether ``category`` is one of this benchmark's."""
        return category in self.categories

    def all_groups(self) -> dict[str, tuple[str, ...]]:
        """:attr:`groups` plus ``all`` (every category, unless the benchmark defines it)."""
        return {**self.groups, "all": self.groups.get("all", self.categories)}

    def shard_group(self, case_id: str, category: str) -> str | None:
        """The chain ``case`` starts from (``None``: none), e.g. ``memory_kv:student``.

        Cases with a chain key wait for it: the producer plans one *chain shard* per key
        (:meth:`chain_steps`, run by :meth:`run_chain`) and shards of those cases (of the
        run's shard size) that are dispatched only once the chain shard is done. For cases
        that start from state built by earlier conversations (BFCL's memory questions
        follow their scenario's prerequisite chain).
        """
        return None

    def chain_steps(self, key: str, suite_extra: Mapping[str, Any] | None) -> list[str]:
        """The ids of chain ``key``'s steps, in order (what its chain shard holds).

        Empty when the suite does not describe the chain (:meth:`run_chain` then says why).
        """
        return []

    async def run_chain(
        self,
        key: str,
        question: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> InferenceOutcome | None:
        """Run chain ``key`` in the current shard and store the state it leaves.

        Called inside the chain shard's :class:`~farm.benchmarks.context.SolveContext`;
        ``question`` is one of the cases that wait for it (their tools). Safe to call
        again after a crash: steps already stored are not run again. Returns ``None``
        when the chain is stored, or the failed outcome of the step that failed (its
        cases then get an error row each, never credit).

        Raises:
            SuiteError: the suite lacks what the chain needs.
        """
        from farm.errors import SuiteError

        raise SuiteError(f"{self.name} has no chain {key!r}")

    def needs_suite_extra(self, case: Case) -> bool:
        """Whether solving or scoring ``case`` needs the suite row's ``extra``."""
        return False

    @abstractmethod
    async def solve(
        self,
        case: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
        tool_retrieval: ToolRetrieval | None = None,
    ) -> InferenceOutcome:
        """Put ``case`` to the model: one request, a conversation, or anything else.

        Never raises for endpoint failures: they are a failed outcome
        (:func:`farm.inference.failed`).
        """

    @abstractmethod
    def score(
        self,
        case: Case,
        reply: Any,
        *,
        mode: str,
        underscore_to_dot: bool,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """The verdict on a reply :meth:`solve` produced (or an imported one).

        ``mode`` names the call format the model was asked in (:mod:`farm.formats`).
        Model output never raises; a broken suite raises ``SuiteError`` or ``ScoringError``.
        """

    def score_failure(self, case: Case, message: str) -> Verdict:
        """The verdict on a case whose inference failed: not valid, ``inference_error``."""
        return Verdict(False, INFERENCE_ERROR, [f"Error during inference: {message}"[:2000]], None)

    @abstractmethod
    def sections(self, scores: Mapping[str, CategoryScore]) -> list[SectionScore]:
        """The run's sections (one per :attr:`section_names`, in that order).

        ``scores`` holds the categories the run has; absent ones were not run.
        """
