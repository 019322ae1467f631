"""Runs on different case sets are ranked apart; --subset scores every run on one subset."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from farm.cli.main import cli
from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.suites.subsets import add_subset, cases_digest
from tests.conftest import create_database, drop_database
from tests.report import builders as b

SUBSET = [f"simple_python_{i}" for i in range(4)]


def _selected(run: b.Run, ids: list[str], definition: str) -> None:
    run.options = {
        "selection": {
            "definition": definition,
            "subset": None,
            "cases": len(ids),
            "cases_sha256": cases_digest(ids),
        }
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'sets.db'}"
        if request.param == "sqlite"
        else create_database("farm_sets")
    )
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        suite = b.suite(s)
        m, n = b.model(s, "m"), b.model(s, "n")
        b.run(s, m, suite, b.cases("simple_python", "1111110000"), day=0, label="full-m")
        b.run(s, n, suite, b.cases("simple_python", "0011111111"), day=1, label="full-n")
        sel = b.run(s, n, suite, b.cases("simple_python", "1111"), day=2, label="sel-n")
        _selected(sel, SUBSET, "--cases simple_python_0-3")
        short = [b.Case("simple_python_7", "simple_python", True)]
        other = b.run(s, m, suite, short, day=3, label="short-m")
        _selected(other, ["simple_python_7"], "--cases simple_python_7")
        add_subset(s, suite, "s4", SUBSET, "--cases simple_python_0-3")
        s.commit()
    engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_database(url)


def farm(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def board(url: str, *args: str) -> tuple[list[dict[str, object]], str]:
    done = farm(url, "leaderboard", "--format", "json", *args)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)["leaderboard"], done.stderr


def test_each_case_set_is_ranked_on_its_own_and_the_mix_is_named(db_url: str) -> None:
    rows, err = board(db_url)
    assert [(r["label"], r["rank"]) for r in rows] == [
        ("full-n", 1),
        ("full-m", 2),
        ("sel-n", 1),
        ("short-m", 1),
    ]
    assert rows[0]["case_selection"] is None
    assert rows[2]["case_selection"] == "--cases simple_python_0-3 (4 cases)"
    assert "these runs cover 3 different case sets" in err
    table = farm(db_url, "leaderboard", "--format", "md")
    assert "[--cases simple_python_0-3 (4 cases)]" in table.stdout
    alone, err = board(db_url, "--run", "full-m", "--run", "full-n")
    assert [r["rank"] for r in alone] == [1, 2] and err == ""


def test_subset_scores_every_run_on_its_cases_and_leaves_out_the_rest(db_url: str) -> None:
    rows, err = board(db_url, "--subset", "s4")
    assert [(r["label"], r["rank"]) for r in rows] == [("sel-n", 1), ("full-m", 2), ("full-n", 3)]
    acc = {r["label"]: r["categories"]["simple_python"] for r in rows}  # type: ignore[index]
    assert [acc[k]["n"] for k in ("sel-n", "full-m", "full-n")] == [4, 4, 4]
    assert [acc[k]["accuracy"] for k in ("sel-n", "full-m", "full-n")] == [1.0, 1.0, 0.5]
    assert all(r["case_selection"] == "subset s4 (4 cases)" for r in rows)
    assert "scores on subset s4 (4 cases) only" in err
    assert "1 run(s) left out: they lack some of the subset's cases" in err
    missing = farm(db_url, "leaderboard", "--subset", "nope")
    assert missing.exit_code == 2 and "unknown subset 'nope'" in missing.stderr


def test_compare_and_history_on_a_subset(db_url: str) -> None:
    whole = json.loads(farm(db_url, "compare", "full-m", "full-n", "--json").stdout)
    part = json.loads(
        farm(db_url, "compare", "full-m", "full-n", "--json", "--subset", "s4").stdout
    )
    simple = {c["name"]: c for c in whole["categories"]}["simple_python"]
    assert (simple["shared"], simple["only_a_correct"], simple["only_b_correct"]) == (10, 2, 4)
    simple = {c["name"]: c for c in part["categories"]}["simple_python"]
    assert (simple["shared"], simple["only_a_correct"], simple["only_b_correct"]) == (4, 2, 0)
    assert simple["a"]["n"] == 4 and simple["b"]["accuracy"] == 0.5
    assert [c["case_id"] for c in part["regressions"]] == ["simple_python_0", "simple_python_1"]
    short = farm(db_url, "compare", "full-m", "short-m", "--subset", "s4")
    assert short.exit_code == 1 and "lacks some cases of subset s4" in short.stderr
    points = json.loads(farm(db_url, "history", "--model", "m", "--subset", "s4", "--json").stdout)
    assert [(p["label"], p["n"]) for p in points["points"]] == [("full-m", 4)]


def test_compare_refuses_runs_on_different_case_sets(db_url: str) -> None:
    mixed = farm(db_url, "compare", "full-m", "sel-n", "--fail-on-regression")
    assert mixed.exit_code == 2
    assert "different case sets are not comparable" in mixed.stderr
    assert "Traceback" not in mixed.output and len(mixed.stderr.strip().splitlines()) == 1
    on_subset = farm(db_url, "compare", "full-m", "sel-n", "--subset", "s4", "--json")
    assert on_subset.exit_code == 0, on_subset.output
    anyway = farm(db_url, "compare", "full-m", "sel-n", "--allow-different-suites", "--json")
    simple = {c["name"]: c for c in json.loads(anyway.stdout)["categories"]}["simple_python"]
    assert simple["shared"] == 4


@pytest.mark.parametrize("flag", ["--alpha", "--min-delta"])
def test_the_gate_refuses_a_nan_threshold(db_url: str, flag: str) -> None:
    done = farm(db_url, "compare", "full-m", "full-n", "--fail-on-regression", flag, "nan")
    assert done.exit_code == 2 and "not a number" in done.output


def test_bfcl_csv_never_ranks_two_case_sets_in_one_file(db_url: str, tmp_path: Path) -> None:
    done = farm(db_url, "leaderboard", "--format", "bfcl-csv", "--out", str(tmp_path / "all"))
    assert done.exit_code == 0, done.output
    assert "2 run(s) on selected cases left out" in done.stderr
    overall = (tmp_path / "all" / "data_overall.csv").read_text().splitlines()
    assert len(overall) == 1 + 2  # header, full-m and full-n
    mixed = farm(
        db_url, "leaderboard", "--format", "bfcl-csv", "--out", str(tmp_path / "mix"),
        "--run", "full-m", "--run", "sel-n",
    )  # fmt: skip
    assert mixed.exit_code == 2 and "cover 2 different case sets" in mixed.stderr
    assert not (tmp_path / "mix").exists()
    on_subset = farm(
        db_url, "leaderboard", "--format", "bfcl-csv", "--out", str(tmp_path / "s4"),
        "--subset", "s4",
    )  # fmt: skip
    assert on_subset.exit_code == 0, on_subset.output
    assert len((tmp_path / "s4" / "data_overall.csv").read_text().splitlines()) == 1 + 3


def test_history_has_no_change_across_case_sets(db_url: str) -> None:
    points = json.loads(farm(db_url, "history", "--model", "m", "--json").stdout)["points"]
    assert [(p["label"], p["case_selection"]) for p in points] == [
        ("full-m", None),
        ("short-m", "--cases simple_python_7 (1 cases)"),
    ]
    table = farm(db_url, "history", "--model", "m").stdout
    short = next(line for line in table.splitlines() if "short-m" in line)
    assert "[--cases simple_python_7 (1 cases)]" in short
    assert "+" not in short and "-0." not in short  # no delta against a full run
