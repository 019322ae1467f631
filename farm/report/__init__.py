"""Leaderboards, comparisons and history: queries over typed rows, statistics, renderers."""

from farm.report.compare import compare, history
from farm.report.queries import leaderboard, load_runs, resolve_run
from farm.report.rows import Comparison, HistoryPoint, RunRow, Score

__all__ = [
    "Comparison",
    "HistoryPoint",
    "RunRow",
    "Score",
    "compare",
    "history",
    "leaderboard",
    "load_runs",
    "resolve_run",
]
