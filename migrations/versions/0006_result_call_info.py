"""results.call_info: finish reason, null/empty content, reasoning, parser, deviations

One nullable JSON column per result holding what the reply was besides its calls
(``farm.formats.reply``): the server's ``finish_reason``, whether ``content`` was null,
empty or text, the reasoning text, whether the calls were parsed by the server or the
client, and protocol deviations (e.g. ``arguments_object``). Rows written before it keep
NULL.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.add_column("results", sa.Column("call_info", json_type, nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN: PostgreSQL, and SQLite from 3.35 (no table rebuild, so
    # the views over results stay as they are).
    op.drop_column("results", "call_info")
