"""run_stats: per-run latency and token summary

One row per scored run, written with its ``run_scores`` (latency mean, sample standard
deviation, 95th percentile and sum over the non-zero latencies, token sums), so the
leaderboard no longer computes percentiles over every result row. On PostgreSQL the
migration backfills the runs scored before it; elsewhere the leaderboard computes a
missing summary when it reads it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO run_stats (run_id, latency_n, latency_mean, latency_std, latency_p95,
                       latency_total_s, input_tokens, output_tokens)
SELECT r.run_id,
       count(r.latency_s) FILTER (WHERE r.latency_s > 0),
       avg(r.latency_s) FILTER (WHERE r.latency_s > 0),
       stddev_samp(r.latency_s) FILTER (WHERE r.latency_s > 0),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency_s) FILTER (WHERE r.latency_s > 0),
       coalesce(sum(r.latency_s) FILTER (WHERE r.latency_s > 0), 0),
       coalesce(sum(r.input_tokens), 0),
       coalesce(sum(r.output_tokens), 0)
FROM results r
WHERE r.run_id IN (SELECT DISTINCT run_id FROM run_scores)
GROUP BY r.run_id
"""


def upgrade() -> None:
    op.create_table(
        "run_stats",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("latency_n", sa.Integer(), nullable=False),
        sa.Column("latency_mean", sa.Float(), nullable=True),
        sa.Column("latency_std", sa.Float(), nullable=True),
        sa.Column("latency_p95", sa.Float(), nullable=True),
        sa.Column("latency_total_s", sa.Float(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_stats_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_stats")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("run_stats")
