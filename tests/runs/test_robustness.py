"""Robustness: runs whose workers vanished are marked stalled, attached endpoints are
re-verified before each shard, and a worker whose hosted server died exits."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from farm import ledger
from farm.db.engine import session_scope
from farm.db.models import Result, Run, Shard
from farm.models.registry import lookup_model
from farm.producer import RunRequest
from farm.producer import submit as submit_run
from farm.runs import cancel_run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import cases_to_json, running_simulator
from farm.suites.store import load_cases
from tests.runs.conftest import Workers, farm_cli, result_count, wait_until
from tests.serving.conftest import STANDIN

CATEGORIES = ["simple_python", "multiple"]


def run_status_of(engine, run_id: uuid.UUID) -> str:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status


def test_a_run_whose_workers_vanished_is_marked_stalled_and_resumes_to_done(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    request = RunRequest(
        model=lookup_model(runs_settings, "simulator"),
        suite=suite_spec,
        categories=CATEGORIES,
        shard_size=2,
    )
    planned = submit_run(runs_settings, runs_engine, request)
    with session_scope(runs_engine) as session:  # a worker takes shard 0, then vanishes
        claim = ledger.claim_shard(
            session, planned.run_id, 0, owner="farm-gone-1@nowhere", lease_seconds=1
        )
        assert claim.granted
    short = runs_settings
    # The window leaves room for the sweep's own start-up on a loaded 2-core machine.
    swept = farm_cli(short, "sweep", "--stall-after", "6", "--json")
    assert swept.returncode == 0, swept.stderr
    assert run_status_of(runs_engine, planned.run_id) == "running"  # not quiet for 6 s yet
    time.sleep(6.2)
    swept = farm_cli(short, "sweep", "--stall-after", "6", "--json")
    assert swept.returncode == 0, swept.stderr
    assert json.loads(swept.stdout.strip().splitlines()[-1])["stalled"] >= 1
    assert run_status_of(runs_engine, planned.run_id) == "stalled"
    shown = farm_cli(short, "status", str(planned.run_id))
    assert f"run {planned.run_id}  stalled" in shown.stdout
    assert "farm resume" in shown.stdout
    listed = farm_cli(short, "runs", "--status", "stalled", "--json")
    assert str(planned.run_id) in listed.stdout
    resumed = farm_cli(runs_settings, "resume", str(planned.run_id))
    assert resumed.returncode == 0, resumed.stderr
    assert "re-enqueued" in resumed.stdout
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=CATEGORIES)
    with running_simulator(cases, SimulatorConfig(latency_s=0.01)) as sim:
        workers.start(sim.base_url)
        wait_until(
            lambda: run_status_of(runs_engine, planned.run_id) == "done", 60, "the run to finish"
        )
    assert result_count(runs_engine, planned.run_id) == planned.n_cases == len(cases)


def test_a_pending_run_with_no_worker_yet_is_never_marked_stalled(
    runs_settings, runs_engine, suite_spec
) -> None:
    request = RunRequest(
        model=lookup_model(runs_settings, "simulator"), suite=suite_spec, categories=["multiple"]
    )
    planned = submit_run(runs_settings, runs_engine, request)
    with session_scope(runs_engine) as session:
        later = ledger.utcnow() + timedelta(hours=5)
        stalled = ledger.mark_stalled(session, stall_seconds=1, now=later)
    assert planned.run_id not in stalled
    assert run_status_of(runs_engine, planned.run_id) == "pending"
    with session_scope(runs_engine) as session:
        cancel_run(session, planned.run_id)


def test_a_worker_whose_attached_endpoint_now_serves_another_model_stops_and_loses_nothing(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=CATEGORIES)
    model = lookup_model(runs_settings, "simulator")
    with running_simulator(cases, SimulatorConfig()) as first:
        port = int(first.base_url.rsplit(":", 1)[1].split("/")[0])
        proc = workers.start(first.base_url, concurrency="2")
        one = submit_run(runs_settings, runs_engine, RunRequest(model, suite_spec, CATEGORIES))
        wait_until(lambda: run_status_of(runs_engine, one.run_id) == "done", 60, "run one")
    # another server, serving another model, takes the port
    with running_simulator(cases, SimulatorConfig(port=port, model_name="other-model")):
        two = submit_run(
            runs_settings, runs_engine, RunRequest(model, suite_spec, CATEGORIES, shard_size=2)
        )
        assert proc.wait(timeout=60) != 0
    log = workers.log(0)
    assert f"farm: error: endpoint http://127.0.0.1:{port}/v1 now serves other-model" in log
    assert "not 'farm-simulator'" in log and "Traceback" not in log
    assert result_count(runs_engine, two.run_id) == 0  # nothing from the wrong model
    with running_simulator(cases, SimulatorConfig()) as right:
        workers.start(right.base_url)
        wait_until(lambda: run_status_of(runs_engine, two.run_id) == "done", 60, "run two")
    assert result_count(runs_engine, two.run_id) == two.n_cases == len(cases)


TINY = """
[models.tiny]
backend = "vllm"
served_name = "tiny"
model_path = "org/tiny"
tool_call_parser = "hermes"
max_model_len = 4096
"""


def test_a_worker_whose_hosted_server_dies_mid_run_exits_and_its_shards_are_redelivered(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers, tmp_path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "models.toml").write_text(TINY)
    settings = runs_settings.model_copy(update={"home": home})
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=["single_turn"])
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(cases_to_json(cases))
    hosting = {
        "FARM_SERVER_COMMAND": f"{sys.executable} {STANDIN}",
        "FARM_SERVER_READY_TIMEOUT": "30",
        "FARM_SERVER_STOP_GRACE": "3",
        "STANDIN_SIMULATOR_CASES": str(cases_file),
        "STANDIN_LATENCY": "0.3",
    }
    proc = workers.start(None, model="tiny", settings=settings, env=hosting, gpus="0")
    wait_until(lambda: " at http://" in workers.log(0), 60, "the hosted server to be ready")
    url = re.search(r" at (http://\S+/v1),", workers.log(0))
    assert url is not None
    info = httpx.get(url.group(1).removesuffix("/v1") + "/standin/info", timeout=5).json()
    request = RunRequest(lookup_model(settings, "tiny"), suite_spec, ["single_turn"], shard_size=4)
    planned = submit_run(settings, runs_engine, request)

    def shard_running() -> bool:
        with session_scope(runs_engine) as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Shard)
                    .where(Shard.run_id == planned.run_id, Shard.status == "running")
                )
                or 0
            ) > 0

    wait_until(shard_running, 30, "a shard to start")
    os.kill(info["pid"], signal.SIGKILL)  # the server dies mid-shard
    assert proc.wait(timeout=30) != 0
    log = workers.log(0)
    error = [line for line in log.splitlines() if line.startswith("farm: error:")]
    assert len(error) == 1 and "exited with status" in error[0] and "mid-run" in error[0]
    log_file = error[0].rsplit("see its log ", 1)[1]
    assert Path(log_file).exists()
    assert "Traceback" not in log
    assert run_status_of(runs_engine, planned.run_id) != "done"
    with running_simulator(cases, SimulatorConfig(model_name="tiny")) as sim:
        workers.start(sim.base_url, model="tiny", settings=settings)
        wait_until(
            lambda: run_status_of(runs_engine, planned.run_id) == "done", 60, "the run to finish"
        )
    assert result_count(runs_engine, planned.run_id) == planned.n_cases == len(cases)
    with session_scope(runs_engine) as session:
        errors = session.scalars(
            select(Result.case_id).where(
                Result.run_id == planned.run_id, Result.inference_error.is_not(None)
            )
        ).all()
    assert errors == []  # nothing recorded from the dead server
