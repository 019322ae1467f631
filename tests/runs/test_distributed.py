"""Real ``farm worker`` processes on the real Redis and PostgreSQL, against the simulator."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from farm.broker import queue_depth, queue_name
from farm.cli.main import cli
from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import Result, Run, RunScore, Shard
from farm.errors import RunError
from farm.models.registry import lookup_model
from farm.producer import RunRequest
from farm.producer import submit as submit_run
from farm.runs import cancel_run
from farm.shards import SHARD_TASK, ShardSpec
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.runs.conftest import Workers, farm_cli, result_count, settings_env, wait_until


@pytest.fixture(scope="module")
def cases(runs_engine, mini_suite):
    with session_scope(runs_engine) as session:
        return load_cases(session, mini_suite.id, categories=["single_turn"])


def submit_cli(settings: Settings, suite_spec: str, *extra: str) -> uuid.UUID:
    done = farm_cli(
        settings,
        "submit",
        "--model",
        "simulator",
        "--suite",
        suite_spec,
        "-c",
        "single_turn",
        "--json",
        *extra,
    )
    assert done.returncode == 0, done.stderr
    return uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])


def submit(settings: Settings, engine: Engine, suite_spec: str, shard_size: int) -> uuid.UUID:
    """Submit in process (the CLI path is covered by the tests above)."""
    request = RunRequest(
        model=lookup_model(settings, "simulator"),
        suite=suite_spec,
        categories=["single_turn"],
        shard_size=shard_size,
    )
    return submit_run(settings, engine, request).run_id


def run_row(engine: Engine, run_id: uuid.UUID) -> Run:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run


def assert_one_result_per_case(engine: Engine, run_id: uuid.UUID) -> None:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        planned = [
            c
            for s in session.scalars(select(Shard).where(Shard.run_id == run_id))
            for c in s.case_ids
        ]
        got = list(session.scalars(select(Result.case_id).where(Result.run_id == run_id)))
        assert sorted(got) == sorted(planned) and len(planned) == run.n_cases
        assert run.status == "done"
        assert session.scalar(
            select(func.count()).select_from(RunScore).where(RunScore.run_id == run_id)
        )


def wait_done(engine: Engine, run_id: uuid.UUID, timeout: float) -> None:
    wait_until(lambda: run_row(engine, run_id).status == "done", timeout, f"run {run_id} to finish")


def test_two_workers_share_one_run_and_submit_wait_shows_its_scores(
    runs_settings, runs_engine, suite_spec, cases, workers: Workers
):
    with running_simulator(cases, SimulatorConfig(latency_s=0.2, wrong_rate=0.2)) as sim:
        workers.start(sim.base_url)
        workers.start(sim.base_url)
        done = farm_cli(
            runs_settings,
            "submit",
            "--model",
            "simulator",
            "--suite",
            suite_spec,
            "-c",
            "single_turn",
            "--shard-size",
            "2",
            "--wait",
            "--timeout",
            "60",
            "--json",
        )
        assert done.returncode == 0, done.stderr
        run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    assert "Overall" in done.stdout or "Run" in done.stdout
    assert_one_result_per_case(runs_engine, run_id)
    with session_scope(runs_engine) as session:
        names = set(session.scalars(select(Result.worker).where(Result.run_id == run_id)))
    assert len(names) == 2, names


def test_a_submit_with_no_worker_waits_and_finishes_when_one_starts(
    runs_settings, runs_engine, suite_spec, cases, workers: Workers
):
    run_id = submit_cli(runs_settings, suite_spec, "--shard-size", "4")
    time.sleep(1.0)
    assert run_row(runs_engine, run_id).status == "pending"
    assert (queue_depth(runs_settings, "simulator") or 0) >= 1
    client = redis.Redis.from_url(runs_settings.broker_url)
    key = runs_settings.broker_key_prefix + queue_name("simulator")
    message = json.loads(client.lindex(key, 0))
    client.close()
    assert message["content-type"] == "application/json"
    assert message["headers"]["task"] == SHARD_TASK
    body = json.loads(base64.b64decode(message["body"]))
    assert ShardSpec.from_payload(body[0][0]).run_id == run_id
    shown = CliRunner().invoke(cli, ["status", str(run_id)], env=settings_env(runs_settings))
    assert shown.exit_code == 0, shown.output
    assert "waiting on farm.model.simulator; no shard running: is a worker up?" in shown.stdout
    with running_simulator(cases, SimulatorConfig(latency_s=0.05)) as sim:
        workers.start(sim.base_url)
        status = farm_cli(
            runs_settings, "status", str(run_id), "--wait", "--timeout", "60", "--json"
        )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout.strip().splitlines()[-1])["status"] == "done"
    assert_one_result_per_case(runs_engine, run_id)


def test_a_worker_killed_mid_shard_loses_and_duplicates_nothing(
    runs_settings, runs_engine, suite_spec, cases, workers: Workers
):
    with running_simulator(cases, SimulatorConfig(latency_s=1.5)) as sim:
        victim = workers.start(sim.base_url, shards="1")
        run_id = submit(runs_settings, runs_engine, suite_spec, 9)

        def victim_holds_a_shard() -> bool:
            with session_scope(runs_engine) as session:
                return bool(
                    session.scalar(
                        select(func.count())
                        .select_from(Shard)
                        .where(Shard.run_id == run_id, Shard.status == "running")
                    )
                )

        wait_until(victim_holds_a_shard, 30, "the first worker to start a shard")
        time.sleep(0.3)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert result_count(runs_engine, run_id) == 0
        workers.start(sim.base_url)
        wait_done(runs_engine, run_id, 60)
    assert_one_result_per_case(runs_engine, run_id)
    with session_scope(runs_engine) as session:
        attempts = [
            s.attempts for s in session.scalars(select(Shard).where(Shard.run_id == run_id))
        ]
    assert max(attempts) >= 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_redis(tmp_path) -> Iterator[tuple[str, callable]]:  # type: ignore[valid-type]
    """A redis-server of this test alone (no persistence), and a function restarting it."""
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def restart() -> None:
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait()
        time.sleep(1.0)
        start()

    start()
    yield f"redis://127.0.0.1:{port}/0", restart
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_redis_restart_mid_run_loses_and_duplicates_nothing(
    runs_settings, runs_engine, suite_spec, cases, workers: Workers, private_redis
):
    url, restart = private_redis
    settings = runs_settings.model_copy(update={"broker_url": url})
    with running_simulator(cases, SimulatorConfig(latency_s=0.6)) as sim:
        workers.start(sim.base_url, settings=settings, shards="1")
        run_id = submit(settings, runs_engine, suite_spec, 3)
        wait_until(lambda: result_count(runs_engine, run_id) > 0, 30, "the first results")
        restart()
        wait_done(runs_engine, run_id, 75)
    assert_one_result_per_case(runs_engine, run_id)


def test_cancel_stops_the_workers_and_resume_finishes_the_run(
    runs_settings, runs_engine, suite_spec, cases, workers: Workers
):
    with running_simulator(cases, SimulatorConfig(latency_s=0.6)) as sim:
        workers.start(sim.base_url, shards="1")
        run_id = submit(runs_settings, runs_engine, suite_spec, 3)
        wait_until(lambda: result_count(runs_engine, run_id) > 0, 30, "the first results")
        cancelled = farm_cli(runs_settings, "cancel", str(run_id)[:8])
        assert cancelled.returncode == 0, cancelled.stderr
        assert "cancelled" in cancelled.stdout
        time.sleep(2.5)  # the running shard notices within its 2 s poll and stops
        kept = result_count(runs_engine, run_id)
        time.sleep(1.5)
        assert result_count(runs_engine, run_id) == kept
        assert kept < run_row(runs_engine, run_id).n_cases
        assert run_row(runs_engine, run_id).status == "cancelled"
        with session_scope(runs_engine) as session, pytest.raises(RunError, match="already"):
            cancel_run(session, run_id)
        resumed = farm_cli(runs_settings, "resume", str(run_id))
        assert resumed.returncode == 0, resumed.stderr
        assert "re-enqueued" in resumed.stdout
        wait_done(runs_engine, run_id, 60)
    assert_one_result_per_case(runs_engine, run_id)
