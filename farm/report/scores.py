"""Turning stored per-category counts into scored cells with confidence intervals."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from farm.benchmarks.registry import DEFAULT_BENCHMARK, benchmark_of, get_benchmark
from farm.report.rows import Score
from farm.scoring.sections import RAN_OVERALL, CategoryScore


def category_cell(n: int, correct: int, errors: int, ran: bool) -> Score:
    """A leaf category's score with its Wilson 95% interval."""
    if not ran:
        return Score(accuracy=0.0, ran=False, n=n, correct=0, errors=errors)
    return Score(correct / n if n else 0.0, True, n, correct, errors)


@lru_cache(maxsize=1024)
def section_weights(
    signature: tuple[tuple[str, int], ...], benchmark: str = DEFAULT_BENCHMARK
) -> dict[str, tuple[tuple[str, float], ...]]:
    """d(section)/d(accuracy of category) for the categories that ran, by section.

    Every aggregate (BFCL's are) is linear in the category accuracies once the counts are
    fixed, so the weights come from evaluating the benchmark's sections on one-hot inputs.
    """
    bench = get_benchmark(benchmark)
    zero = {c: CategoryScore(c, n, 0) for c, n in signature}
    base = {s.name: s.accuracy for s in bench.sections(zero)}
    weights: dict[str, list[tuple[str, float]]] = {name: [] for name in bench.section_names}
    for category, n in signature:
        if n == 0:
            continue
        one_hot = {**zero, category: CategoryScore(category, n, n)}
        for section in bench.sections(one_hot):
            weight = section.accuracy - base[section.name]
            if weight > 1e-15:
                weights[section.name].append((category, weight))
    return {name: tuple(pairs) for name, pairs in weights.items()}


def weights_of(categories: Mapping[str, Score]) -> dict[str, tuple[tuple[str, float], ...]]:
    """:func:`section_weights` of a run's categories that ran (in the run's order)."""
    signature = tuple([(c, s.n) for c, s in categories.items() if s.ran])
    return section_weights(signature, benchmark_of(categories).name)


def section_cells(
    categories: Mapping[str, Score], stored: Mapping[str, tuple[float, bool]] | None = None
) -> dict[str, Score]:
    """The sections of a run's benchmark, each with a normal-approximation 95% interval.

    ``stored`` holds the (accuracy, ran) of sections already computed by
    :func:`farm.finalize.write_run_scores` with the same formulas; missing ones are
    computed here.
    """
    bench = benchmark_of(categories)
    names = bench.section_names
    weights = weights_of(categories)
    values = dict(stored or {})
    missing = [name for name in names if name not in values]
    if missing == [RAN_OVERALL] and RAN_OVERALL in weights:
        # Scored before this section existed: it is linear in the category accuracies of
        # the categories that ran, and "ran" when any of them feeds it.
        feed = [(w, categories[c]) for c, w in weights[RAN_OVERALL]]
        accuracy = sum(w * cell.correct / cell.n for w, cell in feed if cell.n)
        values[RAN_OVERALL] = (accuracy, bool(feed))
    elif missing:
        scores = {c: CategoryScore(c, s.n, s.correct, s.ran) for c, s in categories.items()}
        values = {s.name: (s.accuracy, s.ran) for s in bench.sections(scores)}
    cells: dict[str, Score] = {}
    for name in names:  # one pass per section: this runs for every row of a board
        accuracy, ran = values[name]
        n = errors = 0
        terms: list[tuple[float, int, int]] = []
        for category, weight in weights[name]:
            cell = categories[category]
            n += cell.n
            errors += cell.errors
            terms.append((weight, cell.correct, cell.n))
        cells[name] = Score(accuracy, ran, n, 0, errors, tuple(terms))
    return cells
