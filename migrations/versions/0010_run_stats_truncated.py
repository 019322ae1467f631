"""run_stats.truncated: answers cut by the token limit, per run

Counts the scored results whose error kind is ``inference:output_truncated`` (an invalid
answer whose completion ended with ``finish_reason == "length"``), so the leaderboard shows
truncation as its own error kind without reading result rows. On PostgreSQL the migration
backfills the runs that already have a summary; elsewhere the count starts at 0 for them
(``farm rescore`` or a resume recomputes it).

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
UPDATE run_stats s SET truncated = (
    SELECT count(*) FROM results r
    WHERE r.run_id = s.run_id AND r.error_type = 'inference:output_truncated'
)
"""


def upgrade() -> None:
    with op.batch_alter_table("run_stats") as batch:
        batch.add_column(
            sa.Column("truncated", sa.Integer(), nullable=False, server_default="0")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("run_stats") as batch:
        batch.drop_column("truncated")
