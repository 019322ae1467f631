"""``farm compare --fail-on-regression``: a CI gate on SQLite and on the real PostgreSQL."""

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
from tests.conftest import create_database, drop_database
from tests.report import builders as b

BASE = "1" * 24 + "0" * 6 + "1" * 10


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = (
        f"sqlite:///{tmp_path / 'gate.db'}"
        if request.param == "sqlite"
        else create_database("farm_gate")
    )
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        suite = b.suite(s)
        m = b.model(s, "m")
        live = b.cases("live_simple", "1" * 10 + "0" * 10)
        b.run(s, m, suite, b.cases("simple_python", BASE) + live, label="base")
        b.run(s, m, suite, b.cases("simple_python", BASE) + live, day=1, label="same")
        planted = "0" * 12 + BASE[12:]
        b.run(s, m, suite, b.cases("simple_python", planted) + live, day=2, label="worse")
        noisy = "0" + BASE[1:6] + "1" + BASE[7:]
        b.run(s, m, suite, b.cases("simple_python", noisy) + live, day=3, label="noisy")
        s.commit()
    engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_database(url)


def farm(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--database-url", url, "compare", *args])


def test_identical_runs_pass_the_gate(db_url: str) -> None:
    done = farm(db_url, "base", "same", "--fail-on-regression")
    assert done.exit_code == 0, done.output
    assert done.stdout.strip().splitlines()[-1].startswith("no significant regression of B ")
    assert done.stderr == ""


def test_a_planted_regression_fails_with_one_line_naming_where(db_url: str) -> None:
    done = farm(db_url, "base", "worse", "--fail-on-regression")
    assert done.exit_code == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("regression: B ") and "is worse than A " in line
    for section in ("overall (", "non_live_simple (", "non_live ("):
        assert section in line
    assert "live (" not in line.replace("non_live (", "")
    assert "12 right->wrong vs 0" in line and "McNemar alpha 0.05" in line
    data = farm(db_url, "base", "worse", "--fail-on-regression", "--json")
    assert data.exit_code == 3
    payload = json.loads(data.stdout.strip().splitlines()[-1])
    assert payload["regressed_sections"] == [
        "overall",
        "non_live_simple",
        "non_live",
        "overall_ran",
    ]


def test_alpha_and_min_delta_loosen_the_gate(db_url: str) -> None:
    assert farm(db_url, "base", "worse", "--fail-on-regression", "--min-delta", "5").exit_code == 3
    big = farm(db_url, "base", "worse", "--fail-on-regression", "--min-delta", "50")
    assert big.exit_code == 0, big.output
    assert "min delta 50 pts" in big.stdout
    strict = farm(db_url, "base", "worse", "--fail-on-regression", "--alpha", "0.0001")
    assert strict.exit_code == 0
    noise = farm(db_url, "base", "noisy", "--fail-on-regression")
    assert noise.exit_code == 0, noise.output
    improved = farm(db_url, "worse", "base", "--fail-on-regression")
    assert improved.exit_code == 0
    bad = farm(db_url, "base", "worse", "--fail-on-regression", "--alpha", "1.5")
    assert bad.exit_code == 2 and "--alpha" in bad.stderr
