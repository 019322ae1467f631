"""Turning stored per-category counts into scored cells with confidence intervals."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from farm.report.rows import Score
from farm.scoring.sections import SECTION_NAMES, CategoryScore, compute_sections


def category_cell(n: int, correct: int, errors: int, ran: bool) -> Score:
    """A leaf category's score with its Wilson 95% interval."""
    if not ran:
        return Score(accuracy=0.0, ran=False, n=n, correct=0, errors=errors)
    return Score(correct / n if n else 0.0, True, n, correct, errors)


@lru_cache(maxsize=1024)
def section_weights(
    signature: tuple[tuple[str, int], ...],
) -> dict[str, tuple[tuple[str, float], ...]]:
    """d(section)/d(accuracy of category) for the categories that ran, by section.

    Every BFCL aggregate is linear in the category accuracies once the counts are fixed, so
    the weights come from evaluating the sections on one-hot inputs.
    """
    zero = {c: CategoryScore(c, n, 0) for c, n in signature}
    base = {s.name: s.accuracy for s in compute_sections(zero)}
    weights: dict[str, list[tuple[str, float]]] = {name: [] for name in SECTION_NAMES}
    for category, n in signature:
        if n == 0:
            continue
        one_hot = {**zero, category: CategoryScore(category, n, n)}
        for section in compute_sections(one_hot):
            weight = section.accuracy - base[section.name]
            if weight > 1e-15:
                weights[section.name].append((category, weight))
    return {name: tuple(pairs) for name, pairs in weights.items()}


def weights_of(categories: Mapping[str, Score]) -> dict[str, tuple[tuple[str, float], ...]]:
    """:func:`section_weights` of a run's categories that ran (in the run's order)."""
    return section_weights(tuple([(c, s.n) for c, s in categories.items() if s.ran]))


def section_cells(
    categories: Mapping[str, Score], stored: Mapping[str, tuple[float, bool]] | None = None
) -> dict[str, Score]:
    """The BFCL sections of a run, each with a normal-approximation 95% interval.

    ``stored`` holds the (accuracy, ran) of sections already computed by
    :func:`farm.scoring.finalize.write_run_scores` with the same formulas; missing ones are
    computed here.
    """
    weights = weights_of(categories)
    values = stored or {}
    if len(values) < len(SECTION_NAMES) or any(name not in values for name in SECTION_NAMES):
        scores = {c: CategoryScore(c, s.n, s.correct, s.ran) for c, s in categories.items()}
        values = {s.name: (s.accuracy, s.ran) for s in compute_sections(scores)}
    cells: dict[str, Score] = {}
    for name in SECTION_NAMES:
        accuracy, ran = values[name]
        members = [(weight, categories[category]) for category, weight in weights[name]]
        cells[name] = Score(
            accuracy,
            ran,
            sum(cell.n for _, cell in members),
            0,
            sum(cell.errors for _, cell in members),
            tuple([(weight, cell.correct, cell.n) for weight, cell in members]),
        )
    return cells
