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


def test_any_sqlite_database_is_created_and_upgraded_on_first_use(farm_home, tmp_path) -> None:
    from tests.conftest import run_farm
    from tests.fixtures.minisuite import make_mini_wheel

    wheel = make_mini_wheel(tmp_path)
    env = {"FARM_DATABASE_URL": "sqlite:///new.db"}  # relative: in the working directory
    done = run_farm("suites", "pull", "bfcl", "--wheel", str(wheel), env=env)
    assert done.returncode == 0, done.stderr
    engine = make_engine("sqlite:///new.db")
    assert current_revision(engine) == head_revision(engine)
    listed = run_farm("suites", "list", env=env)
    assert listed.returncode == 0 and "bfcl" in listed.stdout
    engine.dispose()


def test_a_database_from_a_newer_farm_is_refused_in_one_line(farm_home, tmp_path) -> None:
    from sqlalchemy import text

    from tests.conftest import run_farm

    url = f"sqlite:///{tmp_path / 'future.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    engine.dispose()
    done = run_farm("suites", "list", env={"FARM_DATABASE_URL": url})
    assert done.returncode != 0
    assert done.stderr.startswith("farm: error: database schema is at from_the_future")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_postgres_database_is_upgraded_only_by_farm_db_upgrade(farm_home) -> None:
    from tests.conftest import run_farm

    url = create_database()
    try:
        env = {"FARM_DATABASE_URL": url}
        refused = run_farm("suites", "list", env=env)
        assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
        assert "run 'farm db upgrade'" in refused.stderr and "PostgreSQL" in refused.stderr
        engine = make_engine(url)
        assert current_revision(engine) is None  # nothing was created behind the user's back
        engine.dispose()
        assert run_farm("db", "upgrade", env=env).returncode == 0
        assert run_farm("suites", "list", env=env).returncode == 0
    finally:
        drop_database(url)
