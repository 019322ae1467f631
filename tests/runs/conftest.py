"""Fixtures of the runs tests: the mini suite in PostgreSQL, an isolated broker namespace,
the simulator, and real ``farm worker`` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from farm.config import Settings, load_settings
from farm.db.engine import make_engine, session_scope
from farm.db.models import Result, Suite
from tests.conftest import REPO
from tests.fixtures.minisuite import load_mini_suite

#: Short leases so that a killed worker's shard comes back within seconds.
LEASE_SECONDS = 5


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def broker_prefix() -> str:
    """Every broker key of this test session lives under its own prefix."""
    return f"farm-test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture(scope="session")
def runs_settings(pg_url: str, redis_url: str, broker_prefix: str) -> Settings:
    return load_settings(
        database_url=pg_url,
        broker_url=redis_url,
        broker_key_prefix=broker_prefix,
        lease_seconds=LEASE_SECONDS,
        lost_message_seconds=LEASE_SECONDS,
    )


@pytest.fixture(scope="session")
def runs_engine(runs_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(runs_settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def mini_suite(runs_settings: Settings, runs_engine: Engine) -> Suite:
    return load_mini_suite(runs_settings, runs_engine)


@pytest.fixture(scope="session")
def suite_spec(mini_suite: Suite) -> str:
    return f"bfcl@{mini_suite.version}"


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a subprocess ``settings``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FARM_", "VLLM_", "OPENAI_", "COMPLETION_"))
        or k.startswith("FARM_TEST_")
        or k == "FARM_TRUSTED_ENV_SOURCES"
    }
    env.update(
        FARM_HOME=str(settings.home),
        FARM_LEASE_SECONDS=str(settings.lease_seconds),
        FARM_LOST_MESSAGE_SECONDS=str(settings.lost_message_seconds),
        FARM_BROKER_KEY_PREFIX=settings.broker_key_prefix,
        PYTHONPATH=str(REPO),
    )
    if settings.database_url:
        env["FARM_DATABASE_URL"] = settings.database_url
    if settings.broker_url:
        env["FARM_BROKER_URL"] = settings.broker_url
    return env


class Workers:
    """Real ``farm worker`` processes, stopped at the end of the test."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings = settings
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        endpoint: str | None,
        *,
        model: str = "simulator",
        settings: Settings | None = None,
        env: dict[str, str] | None = None,
        **opts: str,
    ) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.procs)}.log"
        args = [sys.executable, "-m", "farm", "worker", "--model", model]
        args += ["--endpoint", endpoint] if endpoint else []
        for key, value in opts.items():
            args += [f"--{key.replace('_', '-')}", value]
        proc = subprocess.Popen(
            args,
            env={**settings_env(settings or self.settings), **(env or {})},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def log(self, index: int) -> str:
        return (self.tmp_path / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def workers(runs_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(runs_settings, tmp_path)
    yield pool
    pool.stop_all()


def result_count(engine: Engine, run_id: uuid.UUID) -> int:
    with session_scope(engine) as session:
        return int(
            session.scalar(select(func.count()).select_from(Result).where(Result.run_id == run_id))
            or 0
        )


def farm_cli(
    settings: Settings, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "farm", *args],
        capture_output=True,
        text=True,
        env=settings_env(settings),
        timeout=timeout,
        cwd=REPO,
    )
