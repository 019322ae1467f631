"""Typed rows that the report queries return and the renderers consume."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from farm.agentic.web.usage import WebTotals
from farm.report.stats import linear_interval, wilson_interval


@dataclass
class Score:
    """One accuracy cell: a leaf category or an aggregate section of one run.

    Read-only by convention (not ``frozen``: a leaderboard builds tens of thousands of
    cells, and a frozen dataclass costs three times as much to construct).

    The 95% confidence interval is computed on first use: Wilson for a leaf category, a
    normal approximation of the weighted sum of category proportions for a section.

    Attributes:
        accuracy: BFCL's numeric value (a missing member counts as 0).
        ran: False when the category, or a member of the section, was not run (N/A).
        n: Cases behind the value (for a section, the sum over its members that ran).
        correct: Valid cases (leaf categories only; 0 for sections).
        errors: Cases whose inference failed (leaf categories; summed for sections).
        terms: For a section, ``(weight, correct, n)`` of each member that ran; None for
            a leaf category.
        interval: A 95% interval computed elsewhere (the t interval of a mean over
            repeats); when set it is the ``ci``.
    """

    accuracy: float
    ran: bool
    n: int = 0
    correct: int = 0
    errors: int = 0
    terms: tuple[tuple[float, int, int], ...] | None = None
    interval: tuple[float, float] | None = None

    @cached_property
    def ci(self) -> tuple[float, float]:
        """``(low, high)`` of the 95% confidence interval."""
        if self.interval is not None:
            return self.interval
        if self.terms is not None:
            return linear_interval(self.terms) if self.terms else (0.0, 0.0)
        if not self.ran or self.n == 0:
            return (0.0, 1.0)
        return wilson_interval(self.correct, self.n)

    @property
    def ci_low(self) -> float:
        """Lower end of the 95% confidence interval."""
        return self.ci[0]

    @property
    def ci_high(self) -> float:
        """Upper end of the 95% confidence interval."""
        return self.ci[1]


@dataclass(frozen=True)
class Latency:
    """Latency and cost of a run, computed as BFCL does (non-zero latencies only).

    ``std`` is the sample standard deviation (None with fewer than two points); ``p95``
    is the linearly interpolated 95th percentile; ``cost`` is in dollars, None if unknown;
    ``truncated`` counts answers cut by the token limit (``inference:output_truncated``).
    """

    count: int
    mean: float | None
    std: float | None
    p95: float | None
    total_s: float
    input_tokens: int
    output_tokens: int
    cost: float | None = None
    truncated: int = 0


@dataclass(frozen=True)
class RepeatSummary:
    """A run repeated K times (``--repeats K``), over the repeats that were scored.

    Attributes:
        group: the group id (the first repeat's run id).
        run_ids: the scored repeats, in repeat order.
        planned: K, the number of repeats asked for.
        seeds: the per-repeat ``seed`` sent to the endpoint (None where none was sent).
        cases: cases with at least one scored repeat.
        pass_at_k: mean over cases of the chance that at least one of k draws is right
            (k = repeats scored; the unbiased estimator ``1 - C(n-c, k) / C(n, k)``).
        pass_hat_k: mean over cases of the chance that all k draws are right
            (``C(c, k) / C(n, k)``; with k = n: right in every repeat).
        flaky: case ids right in some repeats and wrong in others, in suite order.
    """

    group: uuid.UUID
    run_ids: tuple[uuid.UUID, ...]
    planned: int
    seeds: tuple[int | None, ...]
    cases: int
    pass_at_k: float
    pass_hat_k: float
    flaky: tuple[str, ...]

    @property
    def k(self) -> int:
        """Repeats scored."""
        return len(self.run_ids)


@dataclass(frozen=True)
class FormatSensitivity:
    """BFCL's format-sensitivity statistics of a run, as stored when it was scored.

    Attributes:
        configs: configuration string -> its score (``n`` cases, ``correct``, accuracy).
        stats: ``accuracy_max_delta``, ``accuracy_std`` (percentage points) and
            ``accuracy_variance`` (points squared), BFCL's values rounded to 2 places.
    """

    configs: dict[str, Score]
    stats: dict[str, float]

    def stat(self, name: str) -> float | None:
        """One statistic by BFCL's name; None if not stored."""
        return self.stats.get(name)


@dataclass
class RunRow:
    """One run on the leaderboard, with every category and section score.

    ``web`` is the run's web-search usage (a repeat group's: summed over its repeats), None
    for a run that made none or a board read without latency.

    ``format_sensitivity`` holds BFCL's format-sensitivity statistics of a run that ran that
    category (None otherwise: BFCL's N/A).
    """

    run_id: uuid.UUID
    model_key: str
    display_name: str
    suite_name: str
    suite_version: str
    mode: str
    status: str
    label: str | None
    created_at: datetime
    categories: dict[str, Score] = field(default_factory=dict)
    sections: dict[str, Score] = field(default_factory=dict)
    latency: Latency | None = None
    model_info: dict[str, str] = field(default_factory=dict)
    rank: int = 0
    repeats: RepeatSummary | None = None
    selection: str | None = None
    case_key: str = "categories"
    repeat_group: uuid.UUID | None = None
    repeat_index: int = 0
    web: WebTotals | None = None
    format_sensitivity: FormatSensitivity | None = None

    @property
    def short_id(self) -> str:
        """The first 8 hex digits of the run id, enough to name it on the command line."""
        return self.run_id.hex[:8]

    @property
    def suite(self) -> str:
        """``name@version``."""
        return f"{self.suite_name}@{self.suite_version}"

    @property
    def n_cases(self) -> int:
        """Cases scored over the categories that ran."""
        return sum(s.n for s in self.categories.values() if s.ran)

    @property
    def errors(self) -> int:
        """Cases whose inference failed."""
        return sum(s.errors for s in self.categories.values())

    @property
    def categories_ran(self) -> list[str]:
        """Names of the categories that ran."""
        return [c for c, s in self.categories.items() if s.ran]

    def score(self, name: str) -> Score | None:
        """A section or category score by name; a section wins (``irrelevance``)."""
        return self.sections.get(name) or self.categories.get(name)

    def stat(self, name: str) -> float | None:
        """A stored statistic by name (format sensitivity's ``accuracy_max_delta``, ...)."""
        fs = self.format_sensitivity
        return None if fs is None else fs.stat(name)

    def metric(self, name: str) -> Score | None:
        """A category or section score by name; a category wins (``irrelevance``)."""
        return self.categories.get(name) or self.sections.get(name)


@dataclass(frozen=True)
class FlippedCase:
    """A shared case whose verdict differs between the two runs of a comparison."""

    case_id: str
    category: str
    error_type_a: str | None
    error_type_b: str | None


@dataclass(frozen=True)
class ComparedScore:
    """One category or section in a comparison."""

    name: str
    a: Score | None
    b: Score | None
    shared: int
    only_a: int
    only_b: int
    p_value: float | None

    @property
    def delta(self) -> float | None:
        """``b - a`` in accuracy (None if either side is missing)."""
        if self.a is None or self.b is None:
            return None
        return self.b.accuracy - self.a.accuracy


@dataclass
class Comparison:
    """Run B against run A: scores, deltas, McNemar p-values and flipped cases."""

    a: RunRow
    b: RunRow
    sections: list[ComparedScore]
    categories: list[ComparedScore]
    regressions: list[FlippedCase]
    improvements: list[FlippedCase]
    same_suite: bool


@dataclass(frozen=True)
class HistoryPoint:
    """One run of a model in its history."""

    run_id: uuid.UUID
    created_at: datetime
    suite: str
    label: str | None
    metric: str
    score: Score
    #: The run's case selection (``RunRow.selection``); None for a run of whole categories.
    case_set: str | None = None


#: Shown after the model name of an ``incomplete`` run in every leaderboard format.
INCOMPLETE_MARK = "[incomplete: errors counted as wrong]"


def marked_name(display_name: str, status: str) -> str:
    """The name a leaderboard shows: an ``incomplete`` run's carries :data:`INCOMPLETE_MARK`."""
    return f"{display_name} {INCOMPLETE_MARK}" if status == "incomplete" else display_name
