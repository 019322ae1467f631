from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from farm.db.base import Base
from farm.db.engine import make_engine
from farm.db.migrate import current_revision, downgrade, head_revision, upgrade
from tests.conftest import create_database, drop_database

TABLES = {"suites", "test_cases", "models", "runs", "shards", "results", "run_scores", "subsets"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = create_database("farm_mig")
        yield url
        drop_database(url)


def test_migrations_go_up_down_and_up_again(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert TABLES <= set(inspect(engine).get_table_names())
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_autogenerate_finds_no_drift_between_models_and_migrations(empty_url: str) -> None:
    engine = make_engine(empty_url)
    upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_json_columns_are_jsonb_on_postgres(pg_engine) -> None:
    columns = {c["name"]: c for c in inspect(pg_engine).get_columns("results")}
    assert type(columns["decoded"]["type"]).__name__ == "JSONB"
