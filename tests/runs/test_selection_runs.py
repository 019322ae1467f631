"""--cases, --sample, --subset and --repeats on real runs, embedded and distributed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from farm.cli.main import cli
from farm.config import Settings, load_settings
from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Result as ResultRow
from farm.db.models import Run, RunScore
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import create_database, drop_database
from tests.fixtures.minisuite import MINI_VERSION, load_mini_suite
from tests.runs.conftest import Workers, farm_cli

BASE = f"bfcl@{MINI_VERSION}"
PICKED = [
    "simple_python_0",
    "simple_python_1",
    "simple_python_2",
    "parallel_0",
    "parallel_1",
    "multi_turn_base_0",
    "multi_turn_base_1",
]


def run_ids_of(engine: object, run_id: uuid.UUID) -> dict[uuid.UUID, dict[str, bool]]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with session_scope(engine) as session:
        out: dict[uuid.UUID, dict[str, bool]] = {}
        for rid, case_id, valid in session.execute(
            select(ResultRow.run_id, ResultRow.case_id, ResultRow.valid).where(
                ResultRow.run_id == run_id
            )
        ):
            out.setdefault(rid, {})[case_id] = bool(valid)
        return out


def test_repeats_with_cases_through_real_workers(
    runs_settings: Settings,
    runs_engine: object,
    suite_spec: str,
    mini_suite: object,
    workers: Workers,
) -> None:
    from sqlalchemy import Engine

    assert isinstance(runs_engine, Engine)
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id)  # type: ignore[attr-defined]
    extra = mini_suite.extra  # type: ignore[attr-defined]
    with running_simulator(
        cases, SimulatorConfig(latency_s=0.1, wrong_rate=0.4, seed=2), suite_extra=extra
    ) as sim:
        workers.start(sim.base_url)
        workers.start(sim.base_url)
        done = farm_cli(
            runs_settings,
            "submit", "--model", "simulator", "--suite", suite_spec,
            "--cases", "simple_python_0-2,parallel_0-1", "--cases", "multi_turn_base_?",
            "--repeats", "3", "--shard-size", "2", "--label", "rep-dist",
            "--wait", "--timeout", "90", "--json",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    group = [uuid.UUID(r) for r in out["repeats"]]
    assert len(group) == 3 and group[0] == uuid.UUID(out["run_id"])
    verdicts: dict[str, list[bool]] = {}
    workers_seen: set[str] = set()
    with session_scope(runs_engine) as session:
        for index, run_id in enumerate(group, start=1):
            run = session.get(Run, run_id)
            assert run is not None and run.status == "done" and run.n_cases == len(PICKED)
            assert run.options["repeat"] == {
                "group": str(group[0]), "index": index, "of": 3, "seed": index,
            }  # fmt: skip
            assert run.generation["seed"] == index
            assert run.options["selection"]["definition"] == (
                "--cases simple_python_0-2,parallel_0-1,multi_turn_base_?"
            )
            rows = session.execute(
                select(ResultRow.case_id, ResultRow.valid, ResultRow.worker).where(
                    ResultRow.run_id == run_id
                )
            ).all()
            assert sorted(r.case_id for r in rows) == sorted(PICKED)
            for r in rows:
                verdicts.setdefault(r.case_id, []).append(bool(r.valid))
                workers_seen.add(str(r.worker))
    assert len(workers_seen) == 2
    flaky = sorted(c for c, v in verdicts.items() if any(v) and not all(v))
    assert flaky, "the seeds should make some cases flaky"
    assert "flaky case(s)" in done.stdout

    board = farm_cli(runs_settings, "leaderboard", "--suite", suite_spec, "--format", "json")
    rows = json.loads(board.stdout)["leaderboard"]
    mine = [r for r in rows if r["run_id"] in {str(g) for g in group}]
    assert len(mine) == 1
    rep = mine[0]["repeats"]
    assert rep["k"] == 3 and sorted(rep["flaky"]) == flaky
    simple = mine[0]["categories"]["simple_python"]  # scored on the 3 picked cases only
    assert simple["n"] == 3
    right = sum(sum(v) for c, v in verdicts.items() if c.startswith("simple_python"))
    assert simple["accuracy"] == pytest.approx(right / 9)
    right = {c: sum(v) for c, v in verdicts.items()}
    assert rep["pass_at_k"] == pytest.approx(sum(1 for c in right.values() if c) / len(PICKED))
    assert rep["pass_hat_k"] == pytest.approx(
        sum(1 for c in right.values() if c == 3) / len(PICKED)
    )

    listed = farm_cli(runs_settings, "runs", "--json", "--limit", "50")
    entries = [e for e in json.loads(listed.stdout) if e["run_id"] in {str(g) for g in group}]
    assert len(entries) == 3 and all(sorted(e["flaky"]) == flaky for e in entries)
    status = farm_cli(runs_settings, "status", str(group[1]))
    assert (
        "repeat 2 of 3" in status.stdout
        and f"flaky cases of group {str(group[0])[:8]}" in status.stdout
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, farm_home: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sel.db'}"
        return
    url = create_database("farm_sel")
    yield url
    drop_database(url)


def farm(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def test_embedded_runs_take_cases_samples_and_subsets(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    assert (
        farm(
            db_url, "subsets", "add", "s6", "--suite", BASE, "--sample", "6", "--seed", "3"
        ).exit_code
        == 0
    )
    subset = json.loads(farm(db_url, "subsets", "show", "s6", "--suite", BASE, "--json").stdout)
    with running_simulator(cases, SimulatorConfig(), suite_extra=suite.extra) as sim:
        common = (
            "run",
            "--model",
            "simulator",
            "--endpoint",
            sim.base_url,
            "--suite",
            BASE,
            "--json",
        )
        sampled = farm(db_url, *common, "--sample", "6", "--seed", "3")
        named = farm(db_url, *common, "--subset", "s6", "--label", "named")
        narrowed = farm(db_url, *common, "--subset", "s6", "--cases", subset["case_ids"][0])
        bad = farm(db_url, *common, "--cases", "simple_pythn_0")
        missing = farm(db_url, *common, "--subset", "nope")
        too_many = farm(db_url, *common, "-c", "simple_python", "--sample", "4")
    ids = {}
    for name, done in (("sampled", sampled), ("named", named), ("narrowed", narrowed)):
        assert done.exit_code == 0, done.output
        ids[name] = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        got = {
            name: sorted(session.scalars(select(ResultRow.case_id).where(ResultRow.run_id == rid)))
            for name, rid in ids.items()
        }
        sel = {name: session.get(Run, rid).options["selection"] for name, rid in ids.items()}  # type: ignore[union-attr]
        runs = session.scalar(select(func.count()).select_from(Run))
    assert got["sampled"] == got["named"] == sorted(subset["case_ids"])
    assert got["narrowed"] == [subset["case_ids"][0]]
    assert sel["sampled"]["cases_sha256"] == sel["named"]["cases_sha256"]
    assert sel["named"]["subset"] == "s6" and sel["named"]["definition"] == "--subset s6"
    assert sel["sampled"]["definition"] == "--sample 6 --seed 3"
    for done, fragment in (
        (bad, "--cases: case id 'simple_pythn_0' matches no case"),
        (missing, "unknown subset 'nope' of bfcl@0.0.1"),
        (too_many, "--sample 4 exceeds the 3 cases"),
    ):
        assert done.exit_code == 2 and fragment in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1
    assert runs == 3  # nothing was planned for the bad requests
    with session_scope(engine) as session:  # scored on the chosen cases, not their categories
        for name, rid in ids.items():
            scores = session.execute(
                select(RunScore.category, RunScore.n, RunScore.errors).where(
                    RunScore.run_id == rid, RunScore.kind == "category"
                )
            ).all()
            assert sum(n for _, n, _ in scores) == len(got[name]), (name, scores)
            assert all(errors == 0 for _, _, errors in scores), (name, scores)
    engine.dispose()
