"""agentic: the web store, web usage per shard, memory snapshots

``web_searches`` and ``web_pages`` record every search (provider, query, region, max
results -> results) and every fetched page (URL, mode -> content, status, time) so that a
web-search run can be replayed; ``web_usage`` counts searches, fetches, replay misses and
cost per shard of a run; ``memory_snapshots`` holds the memory state each prerequisite
conversation of a scenario leaves, per run. The ``leaderboard`` view (and the views built on
it) gains the ``web_search`` and ``memory`` sections after ``agentic``.

Revision ID: 0008
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_OLD_SECTIONS = ("overall", "non_live", "live", "multi_turn", "irrelevance", "relevance", "agentic")
_NEW_SECTIONS = (*_OLD_SECTIONS, "web_search", "memory")


def _leaderboard(sections: tuple[str, ...]) -> str:
    columns = "".join(
        f"       MAX(CASE WHEN rs.kind = 'section' AND rs.category = '{name}' "
        f"THEN rs.accuracy END) AS {name},\n"
        for name in sections
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


def _replace_leaderboard(sections: tuple[str, ...]) -> None:
    for name in ("latest_leaderboard", "run_history", "leaderboard"):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.execute(f"CREATE VIEW leaderboard AS {_leaderboard(sections)}")
    op.execute(f"CREATE VIEW run_history AS {_HISTORY.strip()}")
    op.execute("CREATE VIEW latest_leaderboard AS SELECT * FROM run_history WHERE recency = 1")


def upgrade() -> None:
    op.create_table(
        "web_searches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=50), nullable=False),
        sa.Column("max_results", sa.Integer(), nullable=True),
        sa.Column("results", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_searches")),
        sa.UniqueConstraint("key", name=op.f("uq_web_searches_key")),
    )
    op.create_table(
        "web_pages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_pages")),
        sa.UniqueConstraint("key", name=op.f("uq_web_pages_key")),
    )
    op.create_table(
        "web_usage",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("shard_no", sa.Integer(), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.Column("searches_stored", sa.Integer(), nullable=False),
        sa.Column("fetches", sa.Integer(), nullable=False),
        sa.Column("fetches_stored", sa.Integer(), nullable=False),
        sa.Column("replay_misses", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_web_usage_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "shard_no", name=op.f("pk_web_usage")),
    )
    op.create_table(
        "memory_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("scenario", sa.String(length=100), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("prereq_id", sa.String(length=300), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_memory_snapshots_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_snapshots")),
        sa.UniqueConstraint(
            "run_id", "category", "scenario", "step", name=op.f("uq_memory_snapshots_run_id")
        ),
    )


    _replace_leaderboard(_NEW_SECTIONS)


def downgrade() -> None:
    _replace_leaderboard(_OLD_SECTIONS)
    op.drop_table("memory_snapshots")
    op.drop_table("web_usage")
    op.drop_table("web_pages")
    op.drop_table("web_searches")
