"""``farm rescore``: stored outputs scored again under errata, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from farm.cli.main import cli
from farm.config import load_settings
from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Result as ResultRow
from farm.db.models import Run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import create_database, drop_database
from tests.fixtures.minisuite import MINI_VERSION, load_mini_suite

BASE = f"bfcl@{MINI_VERSION}"
#: Three corrections that each turn a right answer of the simulator into a wrong one.
FLIPS = [
    {
        "id": "simple_python_0",
        "reason": "the radius is 4",
        "ground_truth": [{"geometry.circle_area": {"radius": [4.0], "unit": ["meters", ""]}}],
    },
    {
        "id": "parallel_1",
        "reason": "one timer only",
        "ground_truth": [{"timer.start": {"minutes": [5]}}],
    },
    {
        "id": "multi_turn_base_0",
        "reason": "the count goes up by 4",
        "ground_truth": [
            ["add_note(title='groceries', text='bread')"],
            ["increment(by=4)", "get_count()"],
        ],
    },
]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, farm_home: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rescore.db'}"
        return
    url = create_database("farm_rescore")
    yield url
    drop_database(url)


def farm(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def last_json(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_errata_of_three_cases_move_exactly_those_verdicts(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    with running_simulator(
        cases,
        SimulatorConfig(wrong_rate=0.3, seed=1),  # seed 1 answers the three flips right
        suite_extra=suite.extra,
    ) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url,
            "--suite", BASE, "--label", "orig", "--json",
        )  # fmt: skip
    source = uuid.UUID(str(last_json(ran)["run_id"]))
    with session_scope(engine) as session:
        before = dict(
            session.execute(
                select(ResultRow.case_id, ResultRow.valid).where(ResultRow.run_id == source)
            ).all()
        )
    assert all(before[f["id"]] for f in FLIPS)  # type: ignore[index]
    assert not all(before.values())  # some answers are wrong, and must stay wrong
    errata = tmp_path / "flip3.jsonl"
    errata.write_text("".join(json.dumps(f) + "\n" for f in FLIPS))
    patched = farm(db_url, "suites", "patch", BASE, "--errata", str(errata))
    assert patched.exit_code == 0, patched.output

    moved = last_json(farm(db_url, "rescore", "orig", "--suite", f"{BASE}+flip3", "--json"))
    assert moved["moved"] == [f["id"] for f in FLIPS]
    assert moved["dropped"] == [] and moved["cases"] == len(before)
    assert moved["correct"] == sum(before.values()) - 3
    new = str(moved["run_id"])
    with session_scope(engine) as session:
        run = session.get(Run, uuid.UUID(new))
        assert run is not None and run.source == "rescore" and run.status == "done"
        assert run.options["rescored_from"] == str(source)
        assert run.options["rescored_suite"] == f"{BASE}+flip3"
        after = dict(
            session.execute(
                select(ResultRow.case_id, ResultRow.valid).where(ResultRow.run_id == run.id)
            ).all()
        )
        raw = dict(
            session.execute(
                select(ResultRow.case_id, ResultRow.raw_output).where(
                    ResultRow.run_id.in_([run.id, source])
                )
            ).all()
        )
    assert {c for c in before if before[c] != after[c]} == {f["id"] for f in FLIPS}
    assert raw  # outputs were carried, not re-inferred

    compared = last_json(farm(db_url, "compare", "orig", new, "--json"))
    assert [c["case_id"] for c in compared["regressions"]] == [f["id"] for f in FLIPS]  # type: ignore[index, union-attr]
    assert compared["improvements"] == []
    same = last_json(farm(db_url, "rescore", "orig", "--json"))
    assert same["moved"] == [] and same["correct"] == sum(before.values())
    gate = farm(db_url, "compare", "orig", str(same["run_id"]), "--fail-on-regression")
    assert gate.exit_code == 0, gate.output
    text = farm(db_url, "rescore", "orig", "--suite", f"{BASE}+flip3")
    assert "3 verdict(s) moved" in text.stdout and "farm compare " in text.stdout
    missing = farm(db_url, "rescore", "nope-nope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("farm: error: no run matches 'nope-nope'")
    engine.dispose()


def test_a_rescored_repeat_stays_out_of_its_group(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    with running_simulator(cases, SimulatorConfig(wrong_rate=0.5), suite_extra=suite.extra) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite", BASE,
            "--cases", "simple_python_0-2", "--repeats", "2", "--json",
        )  # fmt: skip
    second = str(last_json(ran)["repeats"][1])  # type: ignore[index]
    new = last_json(farm(db_url, "rescore", second, "--json"))
    with session_scope(engine) as session:
        run = session.get(Run, uuid.UUID(str(new["run_id"])))
        assert run is not None and "repeat" not in run.options
        assert run.options["selection"]["cases"] == 3
    board = json.loads(farm(db_url, "leaderboard", "--suite", BASE, "--format", "json").stdout)
    groups = [r["repeats"]["k"] for r in board["leaderboard"] if r["repeats"]]
    assert groups == [2] and len(board["leaderboard"]) == 2
    engine.dispose()


def test_a_rescore_of_an_unfinished_selection_keeps_its_plan(db_url: str) -> None:
    """A --cases run with cases never run: the rescore scores them wrong, on the same set."""
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    with running_simulator(cases, SimulatorConfig(), suite_extra=suite.extra) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite", BASE,
            "--cases", "simple_python_0-2", "--json",
        )  # fmt: skip
    source = uuid.UUID(str(last_json(ran)["run_id"]))
    with session_scope(engine) as session:  # as if the run had been cancelled before the last
        row = session.scalars(
            select(ResultRow).where(
                ResultRow.run_id == source, ResultRow.case_id == "simple_python_2"
            )
        ).one()
        session.delete(row)
        session.get(Run, source).status = "cancelled"  # type: ignore[union-attr]
    new = last_json(farm(db_url, "rescore", str(source), "--json"))
    board = json.loads(farm(db_url, "leaderboard", "--suite", BASE, "--format", "json").stdout)
    row = {r["run_id"]: r for r in board["leaderboard"]}[str(new["run_id"])]
    simple = row["categories"]["simple_python"]
    assert (simple["n"], simple["correct"]) == (3, 2)
    assert row["case_selection"] == "--cases simple_python_0-2 (3 cases)"
    engine.dispose()


def test_a_repeat_and_its_rescore_compare_as_two_runs(db_url: str) -> None:
    """The moved verdicts only, never the flips between the group's mean and one repeat."""
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    config = SimulatorConfig(wrong_rate=0.5, seed=1)
    with running_simulator(cases, config, suite_extra=suite.extra) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite", BASE,
            "--cases", "simple_*,parallel_*,multiple_*", "--repeats", "3", "--json",
        )  # fmt: skip
    first = str(last_json(ran)["run_id"])
    new = str(last_json(farm(db_url, "rescore", first, "--json"))["run_id"])
    runs = json.loads(farm(db_url, "runs", "--json", "--limit", "10").stdout)
    assert any(e["flaky"] for e in runs if e["run_id"] == first), "no flaky case to mislead"
    moved = json.loads(farm(db_url, "compare", first, new, "--json").stdout)
    assert moved["regressions"] == [] and moved["improvements"] == []
    engine.dispose()


def test_a_rescore_keeps_how_each_reply_came_back(db_url: str) -> None:
    """call_info is carried over: truncations stay truncations, deviations stay recorded."""
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    config = SimulatorConfig(call_style="truncated")
    with running_simulator(cases, config, suite_extra=suite.extra) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite", BASE,
            "--cases", "simple_python_0-2", "--json",
        )  # fmt: skip
    source = str(last_json(ran)["run_id"])
    new = str(last_json(farm(db_url, "rescore", source, "--json"))["run_id"])

    def kept(run_id: str) -> list[tuple[str, str | None, object]]:
        with session_scope(engine) as session:
            rows = session.scalars(
                select(ResultRow)
                .where(ResultRow.run_id == uuid.UUID(run_id))
                .order_by(ResultRow.case_id)
            ).all()
            return [(r.case_id, r.error_type, r.call_info) for r in rows]

    before = kept(source)
    assert {error for _, error, _ in before} == {"inference:output_truncated"}
    assert kept(new) == before
    engine.dispose()


def test_a_failed_inference_stays_without_a_verdict_in_the_rescore(db_url: str) -> None:
    """Errors are never verdicts: the rescore keeps the error row and ends incomplete."""
    engine = make_engine(db_url)
    upgrade(engine)
    suite = load_mini_suite(load_settings(database_url=db_url), engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    with running_simulator(cases, SimulatorConfig(), suite_extra=suite.extra) as sim:
        ran = farm(
            db_url, "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite", BASE,
            "--cases", "simple_python_0-2", "--json",
        )  # fmt: skip
    source = uuid.UUID(str(last_json(ran)["run_id"]))
    with session_scope(engine) as session:  # as if the endpoint had failed on one case
        row = session.scalars(
            select(ResultRow).where(
                ResultRow.run_id == source, ResultRow.case_id == "simple_python_1"
            )
        ).one()
        row.raw_output = row.decoded = row.valid = row.error_type = row.error_detail = None
        row.inference_error, row.inference_message = "endpoint_transient", "HTTP 503"
        session.get(Run, source).status = "incomplete"  # type: ignore[union-attr]
    rescored = farm(db_url, "rescore", str(source), "--json")
    new = uuid.UUID(str(last_json(rescored)["run_id"]))
    with session_scope(engine) as session:
        failed = session.scalars(
            select(ResultRow).where(ResultRow.run_id == new, ResultRow.case_id == "simple_python_1")
        ).one()
        assert failed.valid is None and failed.error_type is None
        assert (failed.inference_error, failed.inference_message) == (
            "endpoint_transient",
            "HTTP 503",
        )
        assert session.get(Run, new).status == "incomplete"  # type: ignore[union-attr]
    moved = json.loads(farm(db_url, "compare", str(source), str(new), "--json").stdout)
    assert moved["regressions"] == [] and moved["improvements"] == []
    engine.dispose()
