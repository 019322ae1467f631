"""`farm run` warns about calls answered as text, parses them with --call-format, --strict."""

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


def test_run_against_a_text_answering_endpoint(farm_home: Path) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["simple_python", "irrelevance"])
    args = ["--model", "simulator", "--suite", f"bfcl@{suite.version}"]
    args += ["-c", "simple_python,irrelevance", "--json"]
    with running_simulator(cases, SimulatorConfig(call_style="hermes")) as sim:
        refused = run_farm("run", *args, "--endpoint", sim.base_url, "--strict")
        plain = run_farm("run", *args, "--endpoint", sim.base_url)
        parsed = run_farm("run", *args, "--endpoint", sim.base_url, "--call-format", "hermes")
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0 and "--call-format hermes" in refused.stderr
    assert plain.returncode == 0, plain.stderr
    assert "warning: endpoint" in plain.stderr and "--call-format hermes" in plain.stderr
    assert "calls_as_text:hermes" in plain.stderr  # the deviation summary
    assert parsed.returncode == 0, parsed.stderr
    assert "warning" not in parsed.stderr and "parsed_by_client" in parsed.stderr
    run_id = json.loads(parsed.stdout.strip().splitlines()[-1])["run_id"]
    with session_scope(engine) as session:
        run = session.get(Run, uuid.UUID(run_id))
        assert run is not None and run.mode == "hermes"
        rows = session.scalars(select(Result).where(Result.run_id == run.id)).all()
        simple = [r for r in rows if r.category == "simple_python"]
        assert simple and all(r.valid for r in simple)
        assert all(r.call_info["parsed_by"] == "client" for r in simple)
    engine.dispose()
    exported = run_farm("export", run_id, "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    simple_records = [r for r in records if r["category"] == "simple_python"]
    assert simple_records and all(r["call_info"]["parsed_by"] == "client" for r in simple_records)
    assert all("calls_as_text:hermes" in r["call_info"]["deviations"] for r in simple_records)
    as_csv = run_farm("export", run_id, "--format", "csv")
    assert as_csv.stdout.splitlines()[0].endswith(",call_info")
