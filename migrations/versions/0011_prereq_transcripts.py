"""memory_snapshots: the transcript of each prerequisite conversation

A memory scenario's prerequisite conversations are not scored (BFCL scores only the
questions), so they have no row in ``results``; what the model said and the tool results
it was shown in each of them are kept with the snapshot that conversation left:
``raw_output`` (BFCL's multi-turn ``result`` shape), ``call_info`` (``tool_results`` per
turn and step), latency and tokens. Rows stored before this revision have none (NULL).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("raw_output", "call_info", "latency_s", "input_tokens", "output_tokens")


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("memory_snapshots") as batch:
        batch.add_column(sa.Column("raw_output", json_type, nullable=True))
        batch.add_column(sa.Column("call_info", json_type, nullable=True))
        batch.add_column(sa.Column("latency_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("input_tokens", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("output_tokens", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memory_snapshots") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
