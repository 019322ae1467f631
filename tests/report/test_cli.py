"""``farm leaderboard``, ``farm compare`` and ``farm history`` run as a user would."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from farm.cli.main import cli
from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from tests.conftest import create_database, drop_database, run_farm
from tests.report import builders as b


def farm_inproc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process (fast); the one-line error tests use real processes."""
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def db_env() -> Iterator[dict[str, str]]:
    url = create_database("farm_report")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        suite = b.suite(s)
        other_suite = b.suite(s, version="2027.1.1")
        alpha = b.model(s, "alpha", "Alpha (FC)")
        beta = b.model(s, "beta", "Beta (FC)")
        b.run(s, alpha, suite, b.cases("simple_python", "1100"), day=0, label="a1")
        b.run(
            s,
            alpha,
            suite,
            b.cases("simple_python", "0111")
            + [b.Case("multiple_0", "multiple", False, inference_error="EndpointTransient")],
            day=1,
            label="a2",
        )
        b.run(s, beta, suite, b.cases("simple_python", "1111"), day=2, label="b1")
        b.run(s, beta, other_suite, b.cases("simple_python", "1111"), day=3, label="b2")
        s.commit()
    engine.dispose()
    yield {"FARM_DATABASE_URL": url}
    drop_database(url)


def test_leaderboard_table_shows_ranks_coverage_errors_and_intervals(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = farm_inproc("leaderboard", "--suite", "bfcl@2026.3.23", env=db_env)
    assert out.returncode == 0, out.stderr
    assert "Beta (FC)" in out.stdout and "Alpha (FC)" in out.stdout
    assert "2 cats / 5 cases" in out.stdout
    assert "(" in out.stdout  # confidence intervals


def test_leaderboard_json_has_every_run_with_intervals(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = farm_inproc("leaderboard", "--suite", "bfcl@2026.3.23", "--format", "json", env=db_env)
    assert out.returncode == 0, out.stderr
    board = json.loads(out.stdout)["leaderboard"]
    assert [r["label"] for r in board] == ["b1", "a2", "a1"]
    a2 = board[1]
    assert a2["inference_errors"] == 1
    assert a2["coverage"] == {"categories": ["simple_python", "multiple"], "cases": 5}
    low, high = a2["categories"]["simple_python"]["ci95"]
    assert low < 0.75 < high


def test_latest_per_model_and_csv_and_markdown_formats(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = farm_inproc(
        "leaderboard", "--suite", "bfcl@2026.3.23", "--latest-per-model", "--format", "csv",
        env=db_env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().split("\n")
    assert len(lines) == 3 and lines[0].startswith("Rank,Model,Model Key,Run")
    md = farm_inproc("leaderboard", "--suite", "bfcl", "--format", "md", env=db_env)
    assert md.returncode == 0, md.stderr
    # "bfcl" alone is the newest loaded version: only b2 ran on it.
    assert md.stdout.count("| Beta (FC) |") == 1 and "Alpha" not in md.stdout


def test_bfcl_csv_needs_an_output_directory_and_writes_bfcl_files(
    db_env: dict[str, str], farm_home: Path, tmp_path: Path
) -> None:
    bad = run_farm("leaderboard", "--format", "bfcl-csv", env=db_env)
    assert bad.returncode != 0
    assert bad.stderr.strip() == "farm: error: --format bfcl-csv writes files: give --out DIR"
    out = run_farm(
        "leaderboard", "--suite", "bfcl@2026.3.23", "--format", "bfcl-csv",
        "--out", str(tmp_path / "scores"), env=db_env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    names = {p.name for p in (tmp_path / "scores").iterdir()}
    assert {
        "data_overall.csv",
        "data_non_live.csv",
        "data_live.csv",
        "data_multi_turn.csv",
    } <= names
    overall = (tmp_path / "scores" / "data_overall.csv").read_text().split("\n")
    assert overall[1].startswith("1,0.83%,Beta (FC),")  # 0.1 * (1/3) / 4


def test_compare_shows_scores_pvalues_and_regressions_first(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = farm_inproc("compare", "a1", "a2", env=db_env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.index("Regressions") < text.index("Improvements")
    assert "simple_python_0" in text.split("Improvements")[0]
    data = json.loads(farm_inproc("compare", "a1", "a2", "--json", env=db_env).stdout)
    assert [c["case_id"] for c in data["regressions"]] == ["simple_python_0"]
    assert [c["case_id"] for c in data["improvements"]] == ["simple_python_2", "simple_python_3"]
    sp = next(c for c in data["categories"] if c["name"] == "simple_python")
    assert sp["mcnemar_p"] == pytest.approx(1.0)  # 1 vs 2 discordant pairs


def test_compare_refuses_different_suite_versions_with_one_line(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = run_farm("compare", "b1", "b2", env=db_env)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--allow-different-suites" in out.stderr
    assert "Traceback" not in out.stderr
    ok = run_farm("compare", "b1", "b2", "--allow-different-suites", env=db_env)
    assert ok.returncode == 0, ok.stderr


def test_unknown_run_is_a_one_line_error(db_env: dict[str, str], farm_home: Path) -> None:
    out = run_farm("compare", "a1", "zzzz-missing", env=db_env)
    assert out.returncode != 0
    assert out.stderr.startswith("farm: error: no run matches 'zzzz-missing'")


def test_history_shows_one_row_per_run_with_a_chart(
    db_env: dict[str, str], farm_home: Path
) -> None:
    out = farm_inproc("history", "--model", "alpha", "--category", "simple_python", env=db_env)
    assert out.returncode == 0, out.stderr
    assert "50.00%" in out.stdout and "75.00%" in out.stdout
    assert "█" in out.stdout
    data = json.loads(farm_inproc("history", "--model", "alpha", "--json", env=db_env).stdout)
    assert [p["label"] for p in data["points"]] == ["a1", "a2"]
