"""The embedded default: SQLite under FARM_HOME and the in-process executor, no broker."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from farm.cli.main import cli
from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, Run
from farm.errors import ConfigError
from farm.local import run_locally
from farm.producer import RunRequest, plan_run
from farm.resolve import resolve_model
from farm.runs import cancel_run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite, make_mini_wheel
from workers.endpoint import EndpointOptions, attach_endpoint, open_endpoint


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def embedded(farm_home: Path):
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    yield settings, engine, f"bfcl@{suite.version}", cases
    engine.dispose()


def test_farm_run_evaluates_every_category_on_sqlite_and_prints_the_leaderboard_row(embedded):
    settings, engine, suite_spec, cases = embedded
    with running_simulator(cases, SimulatorConfig(latency_s=0.02, wrong_rate=0.3)) as sim:
        done = run_farm(
            "run",
            "--model",
            "simulator",
            "--endpoint",
            sim.base_url,
            "--suite",
            suite_spec,
            "-c",
            "all",
            "--shard-size",
            "4",
            "--concurrency",
            "8",
            "--json",
        )
    assert done.returncode == 0, done.stderr
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    assert str(run_id)[:8] in done.stdout
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "done" and run.source == "run"
        n = session.scalar(select(func.count()).select_from(Result).where(Result.run_id == run_id))
        assert n == run.n_cases == len(cases)
        assert run.options["concurrency"] == 8
    listed = invoke("runs", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["run_id"] == str(run_id)
    status = invoke("status", str(run_id)[:8])
    assert status.exit_code == 0 and "done" in status.stdout and f"{n}/{n}" in status.stdout
    assert str(run_id)[:8] in invoke("runs", "--model", "simulator", "--status", "done").stdout


def test_a_cancel_stops_the_embedded_executor_and_resume_continues_without_duplicates(embedded):
    settings, engine, suite_spec, cases = embedded
    with running_simulator(cases, SimulatorConfig(latency_s=0.4, capacity=4)) as sim:
        spec = resolve_model(settings, "simulator", endpoint=sim.base_url)
        spec = spec.model_copy(update={"max_concurrency": 4})
        request = RunRequest(model=spec, suite=suite_spec, categories=["single_turn"], shard_size=4)
        with session_scope(engine) as session:
            planned = plan_run(session, request)
        runner = threading.Thread(target=run_locally, args=(settings, engine, spec, planned.run_id))
        runner.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # cancel once a shard runs (not before the start)
            with session_scope(engine) as session:
                if session.get(Run, planned.run_id).status == "running":
                    break
            time.sleep(0.05)
        time.sleep(0.3)
        with session_scope(engine) as session:
            cancel_run(session, planned.run_id)
        runner.join(timeout=20)
        assert not runner.is_alive()
        with session_scope(engine) as session:
            kept = session.scalar(
                select(func.count()).select_from(Result).where(Result.run_id == planned.run_id)
            )
            assert session.get(Run, planned.run_id).status == "cancelled"
        assert 0 < kept < planned.n_cases
        resumed = run_farm("resume", str(planned.run_id), "--endpoint", sim.base_url)
    assert resumed.returncode == 0, resumed.stderr
    with session_scope(engine) as session:
        ids = list(session.scalars(select(Result.case_id).where(Result.run_id == planned.run_id)))
        assert session.get(Run, planned.run_id).status == "done"
    assert sorted(ids) == sorted(c for s in planned.shards for c in s.case_ids)


def test_farm_demo_runs_every_category_its_simulator_answers(farm_home, tmp_path):
    wheel = make_mini_wheel(tmp_path)
    done = run_farm("demo", "--wheel", str(wheel), "--latency", "0.01", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "What happened" in done.stdout and "farm worker" in done.stdout
    assert "simulator answering at http://127.0.0.1:" in done.stderr
    assert "running all 32 cases of 17 categories" in done.stderr  # fewer than the sample
    listed = json.loads(invoke("runs", "--json").stdout)
    assert listed[0]["status"] == "done" and listed[0]["label"] == "demo"
    assert "multi_turn_base" in listed[0]["categories"]  # the mini wheel has no agentic files
    assert "simple_python" in listed[0]["categories"]


def test_farm_demo_runs_a_stratified_sample_of_every_category(farm_home, tmp_path):
    wheel = make_mini_wheel(tmp_path)
    done = run_farm(
        "demo", "--wheel", str(wheel), "--latency", "0.01", "--sample", "20", timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert "running a stratified sample of 20 of 32 cases, every category" in done.stderr
    assert "simple_python 2/3" in done.stderr and "multi_turn_miss_param 1/1" in done.stderr
    assert "a stratified sample of 20 of its 32 cases" in done.stdout
    engine = open_database(load_settings())
    with session_scope(engine) as session:
        run = session.scalars(select(Run)).one()
        categories = set(session.scalars(select(Result.category).where(Result.run_id == run.id)))
        assert run.n_cases == 20 and run.status == "done"
        assert run.options["selection"]["definition"] == "--sample 20 --seed 1"
    assert len(categories) == 17  # every category of the mini suite ran


def test_run_commands_fail_with_one_line_errors(farm_home):
    no_broker = invoke("submit", "--model", "simulator")
    assert no_broker.exit_code != 0
    assert no_broker.stderr.strip().splitlines() == [
        "farm: error: no broker configured: set FARM_BROKER_URL (e.g. redis://127.0.0.1:6379/0), "
        "or use 'farm run' for the embedded executor"
    ]
    unknown = invoke("status", str(uuid.uuid4()))
    assert unknown.exit_code != 0 and unknown.stderr.startswith("farm: error: no run ")
    short = invoke("cancel", "abc")
    assert short.exit_code != 0 and "no run matches 'abc'" in short.stderr
    for result in (no_broker, unknown, short):
        assert (
            result.stderr.count("\n") == 1
            and result.exception is None
            or isinstance(result.exception, SystemExit)
        )


def test_a_worker_attaches_to_the_endpoint_from_options_or_the_environment(monkeypatch, farm_home):
    spec = resolve_model(load_settings(), "simulator")

    def attach(options: EndpointOptions) -> str | None:
        return attach_endpoint(load_settings(), options)

    assert attach(EndpointOptions(endpoint="http://h:1/v1")) == "http://h:1/v1"
    assert attach(EndpointOptions()) is None
    assert attach(EndpointOptions(attach=True)) == "http://127.0.0.1:8000/v1"
    monkeypatch.setenv("VLLM_PORT", "8123")
    assert attach(EndpointOptions()) == "http://127.0.0.1:8123/v1"
    with open_endpoint(load_settings(), spec, EndpointOptions()) as urls:
        assert urls == ["http://127.0.0.1:8123/v1"]
    monkeypatch.setenv("VLLM_ENDPOINT", "10.0.0.2:8000")
    with open_endpoint(load_settings(), spec, EndpointOptions()) as urls:
        assert urls == ["http://10.0.0.2:8000/v1"]
    monkeypatch.delenv("VLLM_ENDPOINT")
    monkeypatch.setenv("VLLM_PORT", "eighty")
    with pytest.raises(ConfigError, match="VLLM_PORT"):
        attach(EndpointOptions())
