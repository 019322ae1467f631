"""Leaderboards, comparisons and history: queries over typed rows, statistics, renderers.

The package imports nothing itself, so the CLI and scoring load only what they use:
:mod:`farm.report.queries` (``leaderboard``, ``load_runs``, ``resolve_run``),
:mod:`farm.report.compare` (``compare``, ``history``, ``histories``),
:mod:`farm.report.explore` (runs, progress, shards and workers for ``farm ui``),
:mod:`farm.report.cases` (a run's cases, one case in full, failed cases by kind),
:mod:`farm.report.latency` (``run_stats`` summaries), :mod:`farm.report.rows` (typed rows),
:mod:`farm.report.columns` (the leaderboard's column registry), :mod:`farm.report.render`,
:mod:`farm.report.html` and :mod:`farm.report.bfcl_csv` (output formats).
"""
