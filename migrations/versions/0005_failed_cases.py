"""failed cases have no verdict; scorer errors counted apart

``results.valid`` becomes nullable: a case whose inference failed (or whose scorer raised)
is stored without a verdict, so it is never counted as correct. ``run_scores`` gains
``scorer_errors``, the cases of a category whose scorer raised, shown apart from model
errors. Rows written before keep their verdicts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.alter_column("valid", existing_type=sa.Boolean(), nullable=True)
    op.add_column(
        "run_scores",
        sa.Column("scorer_errors", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.execute("UPDATE results SET valid = false WHERE valid IS NULL")
    op.drop_column("run_scores", "scorer_errors")  # no table copy: views read run_scores
    with op.batch_alter_table("results") as batch:
        batch.alter_column("valid", existing_type=sa.Boolean(), nullable=False)
