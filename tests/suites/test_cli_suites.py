"""The ``farm suites`` commands, run as a user runs them (a fresh process each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from farm.cli.main import cli
from tests.conftest import run_farm
from tests.fixtures.minisuite import MINI_ROOT, MINI_VERSION


def test_pull_show_and_list_a_wheel(farm_home: Path, mini_wheel: Path) -> None:
    pulled = run_farm("suites", "pull", "bfcl", "--wheel", str(mini_wheel))
    assert pulled.returncode == 0, pulled.stderr
    assert f"loaded bfcl@{MINI_VERSION}: 32 cases" in pulled.stdout
    again = CliRunner().invoke(cli, ["suites", "pull", "bfcl", "--wheel", str(mini_wheel)])
    assert again.exit_code == 0 and "already loaded" in again.stdout
    shown = run_farm("suites", "show", "bfcl", "--version", MINI_VERSION, "--json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout.strip().splitlines()[-1])
    assert report["categories"]["simple_java"] == 2
    assert report["categories"]["multi_turn_base"] == 2
    assert report["total"] == sum(report["categories"].values()) == 32
    table = CliRunner().invoke(cli, ["suites", "show", "bfcl"])
    assert "live_parallel_multiple" in table.stdout and "32" in table.stdout
    listed = CliRunner().invoke(cli, ["suites", "list", "--json"])
    rows = json.loads(listed.stdout.strip().splitlines()[-1])
    assert [(r["name"], r["version"], r["cases"]) for r in rows] == [("bfcl", MINI_VERSION, 32)]


def test_an_error_is_one_line_without_a_traceback(farm_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl"
    broken.write_bytes(b"garbage")
    done = run_farm("suites", "pull", "bfcl", "--wheel", str(broken))
    assert done.returncode == 2
    assert done.stderr.startswith("farm: error: corrupt wheel "), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("pull", "gorilla"), "unknown suite source 'gorilla'; pullable: bfcl"),
        (("show", "bfcl"), "unknown suite 'bfcl' (run 'farm suites pull bfcl')"),
        (("add", "mine", "."), "holds no .json or .jsonl files"),
        (("remove", "bfcl"), "name the version to remove: bfcl@VERSION"),
        (("remove", "bfcl@1"), "unknown suite 'bfcl'"),
    ],
)
def test_bad_requests_get_a_one_line_error(
    farm_home: Path, args: tuple[str, ...], fragment: str
) -> None:
    result = CliRunner().invoke(cli, ["suites", *args])
    assert result.exit_code != 0
    assert result.stderr.startswith("farm: error: ") and fragment in result.stderr
    assert result.stderr.count("\n") == 1


def test_add_a_user_suite_on_postgresql(farm_home: Path, pg: Engine, tmp_path: Path) -> None:
    directory = tmp_path / "suite"
    (directory / "possible_answer").mkdir(parents=True)
    data = MINI_ROOT / "bfcl_eval" / "data"
    for name in ("BFCL_v4_live_simple.json", "BFCL_v4_live_relevance.json"):
        (directory / name).write_bytes((data / name).read_bytes())
    answer = data / "possible_answer" / "BFCL_v4_live_simple.json"
    (directory / "possible_answer" / answer.name).write_bytes(answer.read_bytes())
    env = {"FARM_DATABASE_URL": pg.url.render_as_string(hide_password=False)}
    added = CliRunner().invoke(cli, ["suites", "add", "orders", str(directory)], env=env)
    assert added.exit_code == 0, added.stderr
    assert "added orders@1: 4 cases" in added.stdout
    shown = CliRunner().invoke(cli, ["suites", "show", "orders", "--json"], env=env)
    report = json.loads(shown.stdout.strip().splitlines()[-1])
    assert report["categories"] == {"live_simple": 2, "live_relevance": 2}
