"""A database outage while a shard finishes loses nothing: the worker keeps the inferred
results and writes them when the database answers again, without running inference again
and without another delivery (a private PostgreSQL, stopped and started mid-run; the
machine's own PostgreSQL is never touched)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Result, Run, Shard
from farm.models.registry import lookup_model
from farm.producer import RunRequest
from farm.producer import submit as submit_run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.fixtures.minisuite import load_mini_suite
from tests.runs.conftest import Workers, wait_until

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster of this test alone, in a temporary directory, on its own port."""

    def __init__(self, root: Path) -> None:
        assert PG_BIN, "PostgreSQL server binaries are not installed"
        self.bin = PG_BIN[-1]
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root.parent, 0o755)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    root = Path(tempfile.mkdtemp(prefix="farm-test-pg-"))  # pytest's tmp is root-only
    server = PrivatePostgres(root / "cluster")
    try:
        server.init()
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)


def wait_or_show(workers: Workers, predicate, timeout: float, what: str) -> None:
    """:func:`wait_until`, with the worker's log in the failure message."""
    try:
        wait_until(predicate, timeout, what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nworker log:\n{workers.log(0)[-3000:]}") from None


def test_a_database_outage_at_write_time_loses_nothing_and_reruns_nothing(
    runs_settings, private_postgres: PrivatePostgres, workers: Workers
) -> None:
    settings = runs_settings.model_copy(
        update={"database_url": private_postgres.url, "lease_seconds": 30}
    )
    engine = make_engine(settings)
    upgrade(engine)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["single_turn"])
    with running_simulator(cases, SimulatorConfig(latency_s=0.5)) as sim:
        workers.start(sim.base_url, settings=settings, concurrency="4", shards="1")
        served = sim.simulator.metrics.http
        # The worker's start-up checks (endpoint check, short probe) come before this line.
        wait_or_show(workers, lambda: "farm worker " in workers.log(0), 90, "the worker to start")
        startup = served[("/v1/chat/completions", 200)]
        request = RunRequest(
            lookup_model(settings, "simulator"),
            f"bfcl@{suite.version}",
            ["single_turn"],
            shard_size=len(cases),
        )
        planned = submit_run(settings, engine, request)

        def running() -> bool:
            with session_scope(engine) as session:
                return session.scalar(
                    select(Shard.status).where(Shard.run_id == planned.run_id)
                ) == ("running")

        wait_or_show(workers, running, 90, "the worker to start the shard")
        # Its cases are read before the first request: stop the database only after that.
        wait_or_show(
            workers,
            lambda: served[("/v1/chat/completions", 200)] > startup,
            90,
            "the shard's first request",
        )
        engine.dispose()
        private_postgres.stop()  # the database goes away mid-shard

        def inferred() -> bool:
            return served[("/v1/chat/completions", 200)] >= startup + len(cases)

        wait_or_show(workers, inferred, 90, "inference of every case while the database is down")
        time.sleep(2.0)  # the write meets the outage and waits
        private_postgres.start()

        def done() -> bool:
            try:
                with session_scope(engine) as session:
                    return session.scalar(select(Run.status).where(Run.id == planned.run_id)) == (
                        "done"
                    )
            except Exception:  # noqa: BLE001  the database is still coming up
                return False

        wait_or_show(workers, done, 120, "the run to finish after the outage")
        requests = served[("/v1/chat/completions", 200)]
    with session_scope(engine) as session:
        rows = session.scalar(select(func.count()).where(Result.run_id == planned.run_id))
        distinct = session.scalar(
            select(func.count(func.distinct(Result.case_id))).where(Result.run_id == planned.run_id)
        )
        attempts = session.scalar(select(Shard.attempts).where(Shard.run_id == planned.run_id))
        errors = session.scalar(
            select(func.count()).where(
                Result.run_id == planned.run_id, Result.inference_error.is_not(None)
            )
        )
    engine.dispose()
    assert rows == distinct == len(cases)  # every result, exactly once
    assert errors == 0
    assert requests == startup + len(cases)  # no inference ran twice
    assert attempts == 1  # no delivery burnt
    assert "results kept, retrying" in workers.log(0)
