"""format sensitivity in the SQL views: its statistics on the leaderboard, its configurations

A scored run that ran BFCL's format sensitivity has ``run_scores`` rows of kind
``format_config`` (one per prompt configuration: cases, correct, accuracy) and
``format_stat`` (``accuracy_max_delta``, ``accuracy_std``, ``accuracy_variance`` in BFCL's
units: percentage points, points squared). The ``leaderboard`` view (and the views built on
it) gains ``format_sensitivity_max_delta`` and ``format_sensitivity_std`` (NULL for a run
without the category); the new ``format_sensitivity_configs`` view lists each run's
configurations with the model, suite and run date. No table changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SECTIONS = (
    "overall",
    "non_live",
    "live",
    "multi_turn",
    "irrelevance",
    "relevance",
    "agentic",
    "web_search",
    "memory",
)
#: (view column, ``run_scores.category`` of kind ``format_stat``)
_STATS = (
    ("format_sensitivity_max_delta", "accuracy_max_delta"),
    ("format_sensitivity_std", "accuracy_std"),
)


def _leaderboard(with_stats: bool) -> str:
    columns = "".join(
        f"       MAX(CASE WHEN rs.kind = 'section' AND rs.category = '{name}' "
        f"THEN rs.accuracy END) AS {name},\n"
        for name in _SECTIONS
    )
    if with_stats:
        columns += "".join(
            f"       MAX(CASE WHEN rs.kind = 'format_stat' AND rs.category = '{stat}' "
            f"THEN rs.accuracy END) AS {column},\n"
            for column, stat in _STATS
        )
    return (
        "SELECT r.id AS run_id, r.model_key, m.display_name, s.name AS suite_name,\n"
        "       s.version AS suite_version, r.created_at, r.label, r.status, r.mode,\n"
        + columns
        + "       SUM(CASE WHEN rs.kind = 'category' AND rs.ran THEN 1 ELSE 0 END) "
        "AS categories_run,\n"
        "       SUM(CASE WHEN rs.kind = 'category' AND rs.ran THEN rs.n ELSE 0 END) AS cases,\n"
        "       SUM(CASE WHEN rs.kind = 'category' THEN rs.errors ELSE 0 END) "
        "AS inference_errors\n"
        "FROM runs r\n"
        "JOIN models m ON m.key = r.model_key\n"
        "JOIN suites s ON s.id = r.suite_id\n"
        "JOIN run_scores rs ON rs.run_id = r.id\n"
        "GROUP BY r.id, r.model_key, m.display_name, s.name, s.version, r.created_at, r.label,\n"
        "         r.status, r.mode"
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

_CONFIGS = """
SELECT r.id AS run_id, r.model_key, m.display_name, s.name AS suite_name,
       s.version AS suite_version, r.created_at, r.label,
       rs.category AS configuration, rs.n, rs.correct, rs.errors, rs.accuracy
FROM run_scores rs
JOIN runs r ON r.id = rs.run_id
JOIN models m ON m.key = r.model_key
JOIN suites s ON s.id = r.suite_id
WHERE rs.kind = 'format_config'
"""


def _replace_leaderboard(with_stats: bool) -> None:
    for name in ("latest_leaderboard", "run_history", "leaderboard"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(f"CREATE VIEW leaderboard AS {_leaderboard(with_stats)}")
    op.execute(f"CREATE VIEW run_history AS {_HISTORY.strip()}")
    op.execute("CREATE VIEW latest_leaderboard AS SELECT * FROM run_history WHERE recency = 1")


def upgrade() -> None:
    _replace_leaderboard(with_stats=True)
    op.execute(f"CREATE VIEW format_sensitivity_configs AS {_CONFIGS.strip()}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS format_sensitivity_configs")
    _replace_leaderboard(with_stats=False)
