"""Repeat groups in reports: pass@k, pass^k, means with t intervals, paired per-case means."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from farm.cli.main import cli
from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.report.repeats import mean_interval, pass_at_k, pass_hat_k, t975
from tests.conftest import create_database, drop_database
from tests.report import builders as b

#: Verdicts of 10 simple_python cases in each repeat: case 0-5 always right, 6 and 7
#: flaky, 8 and 9 always wrong.
GOOD = ["1111111000", "1111110100", "1111111100"]
#: The same model after a regression: cases 0-5 now always wrong.
BAD = ["0000001000", "0000000100", "0000001100"]


def test_pass_at_k_and_pass_hat_k() -> None:
    assert pass_at_k(3, 1, 3) == 1.0 and pass_hat_k(3, 1, 3) == 0.0
    assert pass_at_k(3, 0, 3) == 0.0 and pass_hat_k(3, 3, 3) == 1.0
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(5, 2))
    assert pass_hat_k(5, 2, 2) == pytest.approx(1 / 10)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 3)


def test_t_interval_of_the_mean_over_repeats() -> None:
    assert t975(2) == 4.303 and t975(1000) == pytest.approx(1.962, abs=1e-3)
    mean, (low, high) = mean_interval([0.7, 0.8, 0.6])
    assert mean == pytest.approx(0.7)
    assert high - mean == pytest.approx(4.303 * 0.1 / math.sqrt(3))
    assert low == pytest.approx(2 * mean - high)
    assert mean_interval([0.5]) == (0.5, (0.5, 0.5))


def _group(
    s: Session, model: b.Model, suite: b.Suite, verdicts: list[str], day: int
) -> list[uuid.UUID]:
    group = None
    ids = []
    for index, v in enumerate(verdicts, start=1):
        run = b.run(
            s,
            model,
            suite,
            b.cases("simple_python", v),
            day=day,
            label=f"{model.key}-{day}-r{index}",
        )
        group = group or run.id
        run.options = {
            "repeat": {"group": str(group), "index": index, "of": len(verdicts), "seed": index}
        }
        ids.append(run.id)
    s.flush()
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'rep.db'}"
        if request.param == "sqlite"
        else create_database("farm_rep")
    )
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        suite = b.suite(s)
        m = b.model(s, "m")
        _group(s, m, suite, GOOD, day=0)
        _group(s, m, suite, GOOD, day=1)
        _group(s, m, suite, BAD, day=2)
        b.run(s, b.model(s, "single"), suite, b.cases("simple_python", "1" * 10), label="single")
        s.commit()
    engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_database(url)


def farm(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def board(url: str, *args: str) -> list[dict[str, object]]:
    done = farm(url, "leaderboard", "--format", "json", *args)
    assert done.exit_code == 0, done.output
    rows: list[dict[str, object]] = json.loads(done.stdout)["leaderboard"]
    return rows


def test_the_leaderboard_shows_one_row_per_group_with_means_and_pass_k(db_url: str) -> None:
    rows = board(db_url)
    assert len(rows) == 4
    single = next(r for r in rows if r["model"] == "single")
    assert single["repeats"] is None
    group = next(r for r in rows if r["label"] == "m-0-r1")
    rep = group["repeats"]
    assert isinstance(rep, dict)
    assert (rep["k"], rep["planned"], rep["seeds"], rep["cases"]) == (3, 3, [1, 2, 3], 10)
    assert rep["pass_at_k"] == pytest.approx(0.8)  # cases 0-7 right at least once
    assert rep["pass_hat_k"] == pytest.approx(0.6)  # cases 0-5 right every time
    assert rep["flaky"] == ["simple_python_6", "simple_python_7"]
    cell = group["categories"]["simple_python"]  # type: ignore[index]
    mean, (low, high) = mean_interval([0.7, 0.7, 0.8])
    assert cell["accuracy"] == pytest.approx(mean)
    assert cell["ci95"] == pytest.approx([low, high])
    latest = board(db_url, "--latest-per-model")
    newest = next(r for r in latest if r["model"] == "m")
    assert newest["label"] == "m-2-r1" and newest["repeats"]["k"] == 3  # type: ignore[index]
    csv_text = farm(db_url, "leaderboard", "--format", "csv").stdout
    assert "Repeats,Pass@k,Pass^k,Flaky Cases" in csv_text.splitlines()[0]
    assert any(line.endswith(",3,80.00,60.00,2,") for line in csv_text.splitlines())


def test_compare_pairs_per_case_means_and_gates_a_regression(db_url: str) -> None:
    same = farm(db_url, "compare", "m-0-r2", "m-1-r3", "--json", "--fail-on-regression")
    assert same.exit_code == 0, same.output
    data = json.loads(same.stdout.strip().splitlines()[0])
    overall = next(s for s in data["sections"] if s["name"] == "non_live_simple")
    assert (overall["shared"], overall["only_a_correct"], overall["only_b_correct"]) == (10, 0, 0)
    worse = farm(db_url, "compare", "m-0-r1", "m-2-r1", "--json", "--fail-on-regression")
    assert worse.exit_code == 3
    data = json.loads(worse.stdout.strip().splitlines()[0])
    simple = next(c for c in data["categories"] if c["name"] == "simple_python")
    assert (simple["only_a_correct"], simple["only_b_correct"]) == (6, 0)
    assert simple["mcnemar_p"] == pytest.approx(2 / 64)  # the exact sign test
    assert [c["case_id"] for c in data["regressions"]] == [f"simple_python_{i}" for i in range(6)]
    assert data["regressed_sections"][0] == "overall"
    assert worse.stderr.startswith("regression: B ")
    within = farm(db_url, "compare", "m-0-r1", "m-0-r2", "--json")
    one = json.loads(within.stdout.strip().splitlines()[0])
    assert [c["case_id"] for c in one["regressions"]] == ["simple_python_6"]


def test_history_has_one_point_per_group(db_url: str) -> None:
    done = farm(db_url, "history", "--model", "m", "--json")
    assert done.exit_code == 0, done.output
    points = json.loads(done.stdout.strip().splitlines()[-1])["points"]
    assert [p["label"] for p in points] == ["m-0-r1", "m-1-r1", "m-2-r1"]
    # each repeat's BFCL Overall is 0.1 * U(U(simple_python, 0, 0), 0, 0, 0) = acc / 120
    assert points[0]["accuracy"] == pytest.approx((0.7 + 0.7 + 0.8) / 3 / 120)
