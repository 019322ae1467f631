"""--tool-retrieval K: recorded with the run, carried to both executors, K tools per request."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select

from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, Run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite
from tests.runs.conftest import Workers, farm_cli, wait_until
from tests.runs.recorder import recording_proxy

MULTIPLE = "multiple,parallel_multiple,live_multiple,live_parallel_multiple"


def test_farm_run_with_tool_retrieval_offers_one_function_and_records_the_option(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=MULTIPLE.split(","))
    assert cases and all(len(c.functions) > 1 for c in cases)
    with (
        running_simulator(cases, SimulatorConfig(latency_s=0.01)) as sim,
        recording_proxy(sim.base_url) as proxy,
    ):
        env = {"EMBEDDING_BASE_URL": sim.base_url}
        args = ["--model", "simulator", "--endpoint", proxy.base_url, "--suite"]
        args += [f"bfcl@{suite.version}", "-c", MULTIPLE, "--json"]
        done = run_farm("run", *args, "--tool-retrieval", "1", env=env)
        assert done.returncode == 0, done.stderr
        assert proxy.tool_counts == [1] * len(cases)
        baseline = run_farm("run", *args)
        assert baseline.returncode == 0, baseline.stderr
        assert sorted(proxy.tool_counts[len(cases) :]) == sorted(len(c.functions) for c in cases)
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "done"
        assert run.options["tool_retrieval"] == 1
        assert run.options["embedding_model"] == "text-embedding-3-small"
        errors = session.scalars(
            select(Result.inference_error).where(Result.run_id == run_id)
        ).all()
        assert len(errors) == len(cases) and not any(errors)
    status = run_farm("status", str(run_id), "--json")
    assert json.loads(status.stdout.strip().splitlines()[-1])["options"]["tool_retrieval"] == 1
    human = run_farm("status", str(run_id))
    assert "tool retrieval: top 1 functions" in human.stdout
    engine.dispose()


def test_tool_retrieval_without_an_embedding_endpoint_is_a_one_line_error(
    farm_home: Path,
) -> None:
    done = run_farm(
        "run", "--model", "simulator", "--endpoint", "http://127.0.0.1:9/v1",
        "--tool-retrieval", "2",
    )  # fmt: skip
    assert done.returncode != 0
    assert "farm: error: --tool-retrieval needs an embedding endpoint" in done.stderr
    assert "Traceback" not in done.stderr
    zero = run_farm("run", "--model", "simulator", "--tool-retrieval", "0")
    assert zero.returncode != 0 and "Traceback" not in zero.stderr


def test_a_submitted_run_carries_tool_retrieval_to_the_worker(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=MULTIPLE.split(","))
    with (
        running_simulator(cases, SimulatorConfig(latency_s=0.01)) as sim,
        recording_proxy(sim.base_url) as proxy,
    ):
        done = farm_cli(
            runs_settings, "submit", "--model", "simulator", "--suite", suite_spec,
            "-c", MULTIPLE, "--tool-retrieval", "1", "--embedding-model", "embed-sim", "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
        workers.start(proxy.base_url, env={"EMBEDDING_BASE_URL": sim.base_url})

        def finished() -> bool:
            with session_scope(runs_engine) as session:
                run = session.get(Run, run_id)
                return run is not None and run.status == "done"

        wait_until(finished, 60, "the run to finish")
        assert proxy.tool_counts == [1] * len(cases)
        embedded = [b for b in proxy.bodies if "input" in b]
        assert embedded == []  # embeddings go to EMBEDDING_BASE_URL, not the model
    with session_scope(runs_engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        assert run.options["tool_retrieval"] == 1 and run.options["embedding_model"] == "embed-sim"
        errors = session.scalars(select(Result.inference_error).where(Result.run_id == run_id))
        assert not any(errors.all())


def test_farm_run_sends_the_key_named_by_api_key_env_and_stores_only_its_name(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["multiple"])
    secret = "sk-runs-test-" + uuid.uuid4().hex
    with (
        running_simulator(cases, SimulatorConfig()) as sim,
        recording_proxy(sim.base_url) as proxy,
    ):
        done = run_farm(
            "run", "--model", "simulator", "--endpoint", proxy.base_url, "--api-key-env",
            "RUNS_TEST_KEY", "--suite", f"bfcl@{suite.version}", "-c", "multiple", "--json",
            env={"RUNS_TEST_KEY": secret},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert proxy.authorizations == {f"Bearer {secret}"}
    assert secret not in done.stdout + done.stderr
    with engine.connect() as conn:
        for table in ("runs", "models", "results", "shards"):
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").all()
            assert secret not in repr(rows)
    engine.dispose()
