"""BFCL v4 leaderboard sections: the aggregates built from per-category scores.

BFCL has three kinds of aggregate (``eval_runner_helper.py``):

* **U** (unweighted): the plain mean of the members' accuracies;
* **W** (weighted): pooled over entries, ``sum(acc * n) / sum(n)``;
* **P** (percentage-weighted): fixed weights, normalised to sum to 1.

A category that was not run counts as accuracy 0 with its dataset size as count (so the
W aggregates weigh it as BFCL does), and marks every aggregate it feeds as not ``ran``,
which BFCL displays as ``N/A``. Some BFCL columns are never N/A (the "overall" of each
group and Overall Acc); renderers decide that per column, the numbers here are always
the ones BFCL computes.

Sections (names stored in ``run_scores`` with ``kind='section'``):

=================  ======================================================================
non_live_simple    U(simple_python, simple_java, simple_javascript)
non_live           U(non_live_simple, multiple, parallel, parallel_multiple)
live               W(live_simple, live_multiple, live_parallel, live_parallel_multiple)
multi_turn         U(multi_turn_base, multi_turn_miss_func, multi_turn_miss_param,
                   multi_turn_long_context)
irrelevance        U(irrelevance, live_irrelevance)
relevance          live_relevance
agentic            U(web_search, memory)
web_search         U(web_search_base, web_search_no_snippet)
memory             U(memory_kv, memory_vector, memory_rec_sum)
overall            P(0.10 non_live, 0.10 live, 0.10 irrelevance, 0.30 multi_turn,
                   0.40 agentic)
=================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from farm.suites.categories import AGENTIC, LIVE_AST, MULTI_TURN, NON_LIVE_AST

#: Entries per category in BFCL v4 (2026.3.23): the count a missing category carries.
BFCL_SIZES: dict[str, int] = {
    "simple_python": 400,
    "simple_java": 100,
    "simple_javascript": 50,
    "multiple": 200,
    "parallel": 200,
    "parallel_multiple": 200,
    "irrelevance": 240,
    "live_simple": 258,
    "live_multiple": 1053,
    "live_parallel": 16,
    "live_parallel_multiple": 24,
    "live_irrelevance": 884,
    "live_relevance": 16,
    "multi_turn_base": 200,
    "multi_turn_miss_func": 200,
    "multi_turn_miss_param": 200,
    "multi_turn_long_context": 200,
    "web_search_base": 100,
    "web_search_no_snippet": 100,
    "memory_kv": 155,
    "memory_vector": 155,
    "memory_rec_sum": 155,
}

#: Section names, in display order.
SECTION_NAMES: tuple[str, ...] = (
    "overall",
    "non_live_simple",
    "non_live",
    "live",
    "multi_turn",
    "irrelevance",
    "relevance",
    "agentic",
    "web_search",
    "memory",
)

#: Weights of the BFCL v4 Overall Acc (non_live, live, irrelevance, multi_turn, agentic).
OVERALL_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("non_live", 10.0),
    ("live", 10.0),
    ("irrelevance", 10.0),
    ("multi_turn", 30.0),
    ("agentic", 40.0),
)


@dataclass(frozen=True)
class CategoryScore:
    """The score of one leaf category in one run.

    Attributes:
        category: BFCL category name, e.g. ``simple_python``.
        n: Number of cases scored (BFCL's ``total_count``).
        correct: Number of cases judged valid.
        ran: False when the category was not run (shown as N/A, counted as 0).
    """

    category: str
    n: int
    correct: int
    ran: bool = True

    @property
    def accuracy(self) -> float:
        """``correct / n``; 0 for an empty or missing category."""
        return self.correct / self.n if self.n and self.ran else 0.0


@dataclass(frozen=True)
class SectionScore:
    """One aggregate of the leaderboard.

    Attributes:
        name: Section name (see :data:`SECTION_NAMES`).
        accuracy: The numeric value BFCL computes (missing members count as 0).
        ran: False when any member was not run (BFCL shows N/A where the column allows).
        n: BFCL's ``total_count`` of the aggregate (sum of the members' counts).
    """

    name: str
    accuracy: float
    ran: bool
    n: int = 0


def _unweighted(name: str, members: Sequence[SectionScore]) -> SectionScore:
    return SectionScore(
        name=name,
        accuracy=sum(m.accuracy for m in members) / len(members),
        ran=all(m.ran for m in members),
        n=sum(m.n for m in members),
    )


def _weighted(name: str, members: Sequence[SectionScore]) -> SectionScore:
    total = sum(m.n for m in members)
    pooled = sum(m.accuracy * m.n for m in members)
    return SectionScore(
        name=name,
        accuracy=pooled / total if total else 0.0,
        ran=all(m.ran for m in members),
        n=total,
    )


def _percentage(name: str, members: Sequence[tuple[SectionScore, float]]) -> SectionScore:
    weight_sum = sum(w for _, w in members)
    return SectionScore(
        name=name,
        accuracy=sum(m.accuracy * w / weight_sum for m, w in members),
        ran=all(m.ran for m, _ in members),
        n=sum(m.n for m, _ in members),
    )


def compute_sections(
    scores: Mapping[str, CategoryScore], *, sizes: Mapping[str, int] | None = None
) -> list[SectionScore]:
    """Compute the BFCL v4 sections from per-category scores.

    Args:
        scores: Category name -> score, for the categories the run has. Entries with
            ``ran=False`` and absent categories both count as missing.
        sizes: Dataset size per category, the count a missing category carries in the
            W aggregates (BFCL uses the full dataset size); defaults to :data:`BFCL_SIZES`.

    Returns:
        One :class:`SectionScore` per name in :data:`SECTION_NAMES`, in that order.
    """
    size_of = BFCL_SIZES if sizes is None else sizes

    def leaf(category: str) -> SectionScore:
        score = scores.get(category)
        if score is None or not score.ran:
            return SectionScore(category, 0.0, False, size_of.get(category, 0))
        return SectionScore(category, score.accuracy, True, score.n)

    simple = _unweighted(
        "non_live_simple", [leaf(c) for c in ("simple_python", "simple_java", "simple_javascript")]
    )
    non_live = _unweighted(
        "non_live", [simple, *(leaf(c) for c in ("multiple", "parallel", "parallel_multiple"))]
    )
    live = _weighted(
        "live",
        [
            leaf(c)
            for c in ("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")
        ],
    )
    multi_turn = _unweighted(
        "multi_turn",
        [
            leaf(c)
            for c in (
                "multi_turn_base",
                "multi_turn_miss_func",
                "multi_turn_miss_param",
                "multi_turn_long_context",
            )
        ],
    )
    irrelevance = _unweighted("irrelevance", [leaf("irrelevance"), leaf("live_irrelevance")])
    relevance_leaf = leaf("live_relevance")
    relevance = SectionScore(
        "relevance", relevance_leaf.accuracy, relevance_leaf.ran, relevance_leaf.n
    )
    web_search = _unweighted("web_search", [leaf("web_search_base"), leaf("web_search_no_snippet")])
    memory = _unweighted(
        "memory", [leaf(c) for c in ("memory_kv", "memory_vector", "memory_rec_sum")]
    )
    agentic = _unweighted("agentic", [web_search, memory])
    by_name = {
        s.name: s
        for s in (
            simple,
            non_live,
            live,
            multi_turn,
            irrelevance,
            relevance,
            agentic,
            web_search,
            memory,
        )
    }
    overall = _percentage("overall", [(by_name[name], w) for name, w in OVERALL_WEIGHTS])
    by_name["overall"] = overall
    return [by_name[name] for name in SECTION_NAMES]


#: Name of the farm's Overall over the categories that ran (not a BFCL column).
RAN_OVERALL = "overall_ran"


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


#: The categories behind BFCL's Overall (relevance and format sensitivity are not).
_FEEDS_OVERALL: tuple[str, ...] = (
    *NON_LIVE_AST,
    *LIVE_AST,
    "irrelevance",
    "live_irrelevance",
    *MULTI_TURN,
    *AGENTIC,
)


def compute_ran_overall(scores: Mapping[str, CategoryScore]) -> SectionScore:
    """BFCL's Overall over the categories that ran: what a partial run scores on what it did.

    Every aggregate is BFCL's (U, W, P) with the members that were not run left out instead
    of counted as 0: a U section averages the members that ran, a W section pools them, and
    the Overall's fixed weights are renormalised over the sections with at least one member
    that ran. With every category run it equals BFCL's Overall. ``ran`` is False (accuracy
    0) when nothing that feeds the Overall ran.
    """

    def leaf(category: str) -> float | None:
        score = scores.get(category)
        return score.accuracy if score is not None and score.ran and score.n else None

    def pooled(categories: Sequence[str]) -> float | None:
        ran = [scores[c] for c in categories if leaf(c) is not None]
        total = sum(s.n for s in ran)
        return sum(s.correct for s in ran) / total if total else None

    simple = _mean([leaf(c) for c in ("simple_python", "simple_java", "simple_javascript")])
    parts: dict[str, float | None] = {
        "non_live": _mean(
            [simple, *(leaf(c) for c in ("multiple", "parallel", "parallel_multiple"))]
        ),
        "live": pooled(("live_simple", "live_multiple", "live_parallel", "live_parallel_multiple")),
        "irrelevance": _mean([leaf("irrelevance"), leaf("live_irrelevance")]),
        "multi_turn": _mean(
            [
                leaf(c)
                for c in (
                    "multi_turn_base",
                    "multi_turn_miss_func",
                    "multi_turn_miss_param",
                    "multi_turn_long_context",
                )
            ]
        ),
        "agentic": _mean(
            [
                _mean([leaf("web_search_base"), leaf("web_search_no_snippet")]),
                _mean([leaf(c) for c in ("memory_kv", "memory_vector", "memory_rec_sum")]),
            ]
        ),
    }
    weighted = [(parts[name], w) for name, w in OVERALL_WEIGHTS if parts[name] is not None]
    weight_sum = sum(w for _, w in weighted)
    n = sum(scores[c].n for c in _FEEDS_OVERALL if c in scores and scores[c].ran)
    if not weighted:
        return SectionScore(RAN_OVERALL, 0.0, False, 0)
    accuracy = sum((value or 0.0) * w for value, w in weighted) / weight_sum
    return SectionScore(RAN_OVERALL, accuracy, True, n)
