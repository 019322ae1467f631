"""``farm compare`` and ``farm history`` take the N/A rule from the benchmark, not a BFCL list."""

from farm.benchmarks.registry import get_benchmark
from farm.cli.compare import _score
from farm.report.rows import ComparedScore, Score


def _unrun(name: str) -> ComparedScore:
    score = Score(accuracy=0.0, ran=False, n=0)
    return ComparedScore(name, score, score, 0, 0, 0, None)


def test_compare_cells_follow_the_benchmark_never_na_sections():
    bfcl = get_benchmark("bfcl").never_na()
    assert _score(_unrun("multi_turn"), "a", bfcl) == "0.00%"
    assert _score(_unrun("relevance"), "b", bfcl) == "N/A"
    # A benchmark whose "overall" may be N/A (the default for its own metrics).
    assert _score(_unrun("overall"), "a", frozenset()) == "N/A"
