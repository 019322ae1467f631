"""Fixtures of the suites tests: one private PostgreSQL database, SQLite, the mini wheel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from farm.config import Settings, load_settings
from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Suite
from tests.conftest import create_database, drop_database
from tests.fixtures.minisuite import make_mini_wheel


@pytest.fixture(scope="session")
def suites_pg_url() -> Iterator[str]:
    """A PostgreSQL database of these tests alone, so counts of stored rows are exact."""
    url = create_database("farm_suites")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def suites_pg_engine(suites_pg_url: str) -> Iterator[Engine]:
    engine = make_engine(suites_pg_url)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.execute(delete(Suite))


@pytest.fixture
def pg(suites_pg_engine: Engine) -> Iterator[Engine]:
    """The private PostgreSQL database, emptied before and after the test."""
    _empty(suites_pg_engine)
    yield suites_pg_engine
    _empty(suites_pg_engine)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'suites.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test using it runs on SQLite and on the real PostgreSQL."""
    name = "sqlite" if request.param == "sqlite" else "pg"
    engine: Engine = request.getfixturevalue(name)
    return engine


@pytest.fixture
def settings(farm_home: Path) -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def mini_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mini_wheel(tmp_path_factory.mktemp("mini"))
