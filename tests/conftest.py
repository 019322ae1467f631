"""Shared fixtures: the real PostgreSQL and Redis on this machine, and an isolated FARM_HOME.

Nothing here mocks a database or a broker. A test that needs PostgreSQL or Redis and cannot
reach it fails; it never skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from farm.config import get_settings
from farm.db.engine import make_engine
from farm.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "FARM_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FARM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parent.parent
#: The operator's trust list for the mini suite's environment sources (committed).
MINI_TRUST = REPO / "tests" / "fixtures" / "mini_bfcl.sha256"
TRUST_VARIABLE = "FARM_TRUSTED_ENV_SOURCES"


@pytest.fixture(scope="session", autouse=True)
def trusted_test_sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Trust the test fixtures' environment sources, as an operator would their own suite.

    ``FARM_TRUSTED_ENV_SOURCES`` names a file with the mini suite's committed list plus the
    digests of the in-memory environments of tests/multiturn/helpers.py; every process the
    tests start inherits it. The real bfcl-eval sources need nothing: the package's table
    lists them.
    """
    from farm.suites.trust import digest_lines
    from tests.multiturn.helpers import SOURCES

    path = tmp_path_factory.mktemp("trust") / "trusted.sha256"
    path.write_text(MINI_TRUST.read_text() + "\n".join(digest_lines(SOURCES)) + "\n")
    previous = os.environ.get(TRUST_VARIABLE)
    os.environ[TRUST_VARIABLE] = str(path)
    yield path
    if previous is None:
        os.environ.pop(TRUST_VARIABLE, None)
    else:
        os.environ[TRUST_VARIABLE] = previous


def create_database(prefix: str = "farm_test") -> str:
    """Create an empty PostgreSQL database with a unique name; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing its other connections."""
    name = make_url(url).database
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test session (FARM_TEST_POSTGRES_URL, or new)."""
    given = os.environ.get("FARM_TEST_POSTGRES_URL")
    url = given or create_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if not given:
        drop_database(url)


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(pg_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    with pg_engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The machine's Redis; fails the test if it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    assert client.ping(), f"Redis at {REDIS_URL} does not answer"
    client.close()
    return REDIS_URL


@pytest.fixture
def farm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty FARM_HOME and working directory, no FARM_* (but the trust list) or endpoint vars."""
    for key in list(os.environ):
        if key.startswith(("FARM_", "OPENAI_", "COMPLETION_", "EMBEDDING_", "VLLM_")):
            if not key.startswith("FARM_TEST_") and key != TRUST_VARIABLE:
                monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("FARM_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def run_farm(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``farm`` CLI in a fresh process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "farm.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )


BFCL_TEST_VERSION = "2026.3.23"


@pytest.fixture(scope="session")
def bfcl_wheel() -> Path:
    """The real bfcl-eval wheel: FARM_TEST_BFCL_WHEEL, or ~/.cache/farm-tests/ (pip download once).

    pip's own cache makes a second download instant; a wheel that cannot be obtained fails
    the test (it never skips).
    """
    given = os.environ.get("FARM_TEST_BFCL_WHEEL")
    if given:
        return Path(given)
    cache = Path.home() / ".cache" / "farm-tests"
    target = cache / f"bfcl_eval-{BFCL_TEST_VERSION}-py3-none-any.whl"
    if not target.is_file():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
            + ["--disable-pip-version-check", "-d", str(cache)]
            + [f"bfcl-eval=={BFCL_TEST_VERSION}"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert target.is_file(), f"pip download of bfcl-eval failed: {done.stderr[-2000:]}"
    return target
