"""run_scores keyed by kind too

The section ``irrelevance`` and the category ``irrelevance`` share a name, so a run's
scores need ``(run_id, kind, category)`` as primary key. The leaderboard views read
``run_scores``; they are dropped and recreated around the change (SQLite rebuilds the
table).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _views() -> tuple[tuple[str, str], ...]:
    path = Path(__file__).with_name("0002_views.py")
    spec = importlib.util.spec_from_file_location("farm_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    views: tuple[tuple[str, str], ...] = module.VIEWS
    return views


def _rekey(columns: list[str]) -> None:
    views = _views()
    for name, _ in reversed(views):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    with op.batch_alter_table("run_scores", recreate="always") as batch_op:
        batch_op.drop_constraint("pk_run_scores", type_="primary")
        batch_op.create_primary_key("pk_run_scores", columns)
    for name, body in views:
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")


def upgrade() -> None:
    _rekey(["run_id", "kind", "category"])


def downgrade() -> None:
    op.execute("DELETE FROM run_scores WHERE kind <> 'category'")
    _rekey(["run_id", "category"])
