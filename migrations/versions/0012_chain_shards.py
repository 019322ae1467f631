"""shards.chain, shards.waits_on: memory chains as shards their questions wait for

A memory scenario's prerequisite chain becomes a shard of its own (``chain`` names it, e.g.
``memory_kv:student``); the shards of its questions name it in ``waits_on`` and stay
``waiting`` until it is done. Existing shards are neither (both columns null).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shards") as batch:
        batch.add_column(sa.Column("chain", sa.String(200), nullable=True))
        batch.add_column(sa.Column("waits_on", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shards") as batch:
        batch.drop_column("waits_on")
        batch.drop_column("chain")
