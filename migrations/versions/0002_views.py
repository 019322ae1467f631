"""leaderboard views

Read-only SQL views over ``runs``, ``models``, ``suites`` and ``run_scores`` for people who
query the farm's database directly (psql, sqlite3, BI tools). The same SQL runs on
PostgreSQL and SQLite (window functions need SQLite 3.25+). See docs/report.md.

* ``category_scores``: one row per run and leaf category (``run_scores`` kind 'category'),
  with the model, suite and run date.
* ``section_scores``: the same for the BFCL sections (kind 'section': overall, non_live,
  live, multi_turn, irrelevance, relevance, agentic, non_live_simple).
* ``leaderboard``: one row per scored run with the BFCL section accuracies as columns,
  the number of categories run, cases and inference errors.
* ``run_history``: ``leaderboard`` plus ``overall_delta`` (change of Overall against the
  model's previous run on the same suite version) and ``recency`` (1 = newest run of the
  model on that suite version).
* ``latest_leaderboard``: the newest run of every model per suite version.

Accuracies are fractions in [0, 1]; a section's ``ran`` flag is false when one of its
categories was not run (BFCL shows N/A but counts the category as 0).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCORES = """
SELECT rs.run_id, r.model_key, m.display_name, s.name AS suite_name,
       s.version AS suite_version, r.created_at, r.label, r.status,
       rs.category{name_alias}, rs.n, rs.correct, rs.errors, rs.accuracy, rs.ran
FROM run_scores rs
JOIN runs r ON r.id = rs.run_id
JOIN models m ON m.key = r.model_key
JOIN suites s ON s.id = r.suite_id
WHERE rs.kind = '{kind}'
"""

_SECTIONS = ("overall", "non_live", "live", "multi_turn", "irrelevance", "relevance", "agentic")

_LEADERBOARD = (
    """
SELECT r.id AS run_id, r.model_key, m.display_name, s.name AS suite_name,
       s.version AS suite_version, r.created_at, r.label, r.status, r.mode,
"""
    + "".join(
        f"       MAX(CASE WHEN rs.kind = 'section' AND rs.category = '{name}' "
        f"THEN rs.accuracy END) AS {name},\n"
        for name in _SECTIONS
    )
    + """       SUM(CASE WHEN rs.kind = 'category' AND rs.ran THEN 1 ELSE 0 END) AS categories_run,
       SUM(CASE WHEN rs.kind = 'category' AND rs.ran THEN rs.n ELSE 0 END) AS cases,
       SUM(CASE WHEN rs.kind = 'category' THEN rs.errors ELSE 0 END) AS inference_errors
FROM runs r
JOIN models m ON m.key = r.model_key
JOIN suites s ON s.id = r.suite_id
JOIN run_scores rs ON rs.run_id = r.id
GROUP BY r.id, r.model_key, m.display_name, s.name, s.version, r.created_at, r.label,
         r.status, r.mode
"""
)

_HISTORY = """
SELECT l.*,
       l.overall - LAG(l.overall) OVER (
           PARTITION BY l.model_key, l.suite_name, l.suite_version
           ORDER BY l.created_at, l.run_id) AS overall_delta,
       ROW_NUMBER() OVER (
           PARTITION BY l.model_key, l.suite_name, l.suite_version
           ORDER BY l.created_at DESC, l.run_id DESC) AS recency
FROM leaderboard l
"""

VIEWS: tuple[tuple[str, str], ...] = (
    ("category_scores", _SCORES.format(kind="category", name_alias="")),
    ("section_scores", _SCORES.format(kind="section", name_alias=" AS section")),
    ("leaderboard", _LEADERBOARD),
    ("run_history", _HISTORY),
    ("latest_leaderboard", "SELECT * FROM run_history WHERE recency = 1"),
)


def upgrade() -> None:
    for name, body in VIEWS:
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")


def downgrade() -> None:
    for name, _ in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
