"""Format sensitivity is scheduled as BFCL schedules it: prompt mode only.

``all`` includes it for a prompt-mode model; for an FC model a group leaves it out with one
line, and naming it is a one-line error. Its ids (``format_sensitivity_<i>:<config>:<id>``)
survive shards, broker payloads and ``--cases`` ranges; an embedded ``farm run`` stores its
statistics and ``farm leaderboard --format bfcl-csv`` writes them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from farm.config import Settings, load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, RunScore, Suite
from farm.errors import SubmitError
from farm.models.registry import ModelSpec, lookup_model
from farm.producer import PlannedRun, RunRequest, plan_run
from farm.shardspec import ShardSpec
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from farm.suites.subsets import CaseFilter
from tests.conftest import run_farm
from tests.fixtures.minisuite import FS_VERSION, load_fs_suite

SUITE = f"bfcl@{FS_VERSION}"


@pytest.fixture(scope="module")
def fs_suite(runs_settings: Settings, runs_engine: Engine) -> Suite:
    return load_fs_suite(runs_settings, runs_engine)


def _model(settings: Settings, mode: str) -> ModelSpec:
    return lookup_model(settings, "simulator").model_copy(update={"mode": mode})


def _plan(engine: Engine, spec: ModelSpec, *categories: str, **kw: object) -> PlannedRun:
    request = RunRequest(model=spec, suite=SUITE, categories=categories, shard_size=10, **kw)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        return plan_run(session, request)


def test_all_includes_format_sensitivity_for_a_prompt_model(runs_settings, runs_engine, fs_suite):
    planned = _plan(runs_engine, _model(runs_settings, "prompt"), "all")
    assert "format_sensitivity" in planned.categories and planned.notes == ()
    ids = [c for s in planned.shards for c in s.case_ids]
    fs = [c for c in ids if c.startswith("format_sensitivity_")]
    assert len(fs) == 52 and len(set(ids)) == len(ids)
    for shard in planned.shards:  # colons, & and = survive the broker payload
        assert ShardSpec.from_payload(json.loads(json.dumps(shard.payload()))) == shard


def test_all_leaves_format_sensitivity_out_for_an_fc_model_with_one_note(
    runs_settings, runs_engine, fs_suite
):
    planned = _plan(runs_engine, _model(runs_settings, "fc"), "all")
    assert "format_sensitivity" not in planned.categories
    assert not any(c.startswith("format_sensitivity") for s in planned.shards for c in s.case_ids)
    assert len(planned.notes) == 1 and "\n" not in planned.notes[0]
    assert "format_sensitivity" in planned.notes[0] and "prompt mode only" in planned.notes[0]


@pytest.mark.parametrize("names", [("format_sensitivity",), ("simple_python,format_sensitivity",)])
def test_naming_format_sensitivity_for_an_fc_model_is_refused(
    runs_settings, runs_engine, fs_suite, names
):
    with pytest.raises(SubmitError, match="format_sensitivity runs in prompt mode only"):
        _plan(runs_engine, _model(runs_settings, "fc"), *names)


def test_cases_ranges_and_globs_pick_format_sensitivity_ids(runs_settings, runs_engine, fs_suite):
    spec = _model(runs_settings, "prompt")
    ranged = _plan(runs_engine, spec, "format_sensitivity",
                   selection=CaseFilter(cases=("format_sensitivity_24-27",)))  # fmt: skip
    ids = [c for s in ranged.shards for c in s.case_ids]
    assert [c.split(":")[0] for c in ids] == [f"format_sensitivity_{i}" for i in range(24, 28)]
    assert ids[2].endswith(":simple_python_1")
    globbed = _plan(runs_engine, spec, "format_sensitivity",
                    selection=CaseFilter(cases=("*ret_fmt=json&tool_call_tag=True*",)))  # fmt: skip
    assert globbed.n_cases == 2 * 3


def test_farm_run_in_prompt_mode_stores_the_statistics_and_writes_bfcl_csv(
    farm_home: Path, tmp_path: Path
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_fs_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    with running_simulator(cases, SimulatorConfig(latency_s=0.0)) as sim:
        refused = run_farm("run", "--model", "simulator", "--endpoint", sim.base_url,
                           "--suite", SUITE, "-c", "format_sensitivity")  # fmt: skip
        skipped = run_farm("run", "--model", "simulator", "--endpoint", sim.base_url,
                           "--suite", SUITE, "-c", "all", "--cases", "simple_python_0",
                           "--json")  # fmt: skip
        done = run_farm("run", "--model", "simulator-prompt", "--endpoint", sim.base_url,
                        "--suite", SUITE, "-c", "format_sensitivity", "--shard-size", "5",
                        "--json")  # fmt: skip
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0 and "Traceback" not in refused.stderr
    assert "format_sensitivity runs in prompt mode only" in refused.stderr
    assert skipped.returncode == 0, skipped.stderr
    assert "format_sensitivity left out" in skipped.stderr
    assert done.returncode == 0, done.stderr
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        n = session.scalar(select(func.count()).select_from(Result).where(Result.run_id == run_id))
        kinds = dict(
            session.execute(
                select(RunScore.kind, func.count())
                .where(RunScore.run_id == run_id)
                .group_by(RunScore.kind)
            ).all()
        )
    assert n == 52
    assert kinds["format_config"] == 26 and kinds["format_stat"] == 3
    status = run_farm("status", str(run_id))
    assert "format sensitivity over 26 configurations: max delta" in status.stdout
    out = tmp_path / "csv"
    written = run_farm("leaderboard", "--run", str(run_id), "--format", "bfcl-csv",
                       "--out", str(out))  # fmt: skip
    assert written.returncode == 0, written.stderr
    lines = (out / "data_format_sensitivity.csv").read_text().split("\n")
    cells = lines[1].split(",")
    assert len(lines) == 2 and len(cells) == 30 and cells[2] != "N/A"
    assert all(cell.endswith("%") for cell in cells[4:])
    engine.dispose()
