"""suite errata and named subsets

A suite version derived by ``farm suites patch`` records the version it came from
(``suites.parent_id``) and the SHA-256 of the errata file (``suites.errata_sha256``).
``subsets`` holds named selections of case ids of one suite version (``farm subsets``).
The views of 0002 read ``suites``; they are dropped and recreated around the change
(SQLite rebuilds the table to add the foreign key).

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _views() -> tuple[tuple[str, str], ...]:
    path = Path(__file__).with_name("0002_views.py")
    spec = importlib.util.spec_from_file_location("farm_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    views: tuple[tuple[str, str], ...] = module.VIEWS
    return views


def upgrade() -> None:
    views = _views()
    for name, _ in reversed(views):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("suites") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("errata_sha256", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            op.f("fk_suites_parent_id_suites"), "suites", ["parent_id"], ["id"]
        )
    for name, body in views:
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")
    op.create_table(
        "subsets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("suite_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("case_ids", JSON, nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["suite_id"],
            ["suites.id"],
            name=op.f("fk_subsets_suite_id_suites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subsets")),
        sa.UniqueConstraint("suite_id", "name", name=op.f("uq_subsets_suite_id")),
    )


def downgrade() -> None:
    op.drop_table("subsets")
    views = _views()
    for name, _ in reversed(views):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("suites") as batch:
        batch.drop_constraint(op.f("fk_suites_parent_id_suites"), type_="foreignkey")
        batch.drop_column("errata_sha256")
        batch.drop_column("parent_id")
    for name, body in views:
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")
