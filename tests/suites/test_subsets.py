"""``farm subsets``: named selections stored against a suite version, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Engine

from farm.cli.main import cli
from farm.config import Settings
from farm.db.engine import session_scope
from farm.errors import SuiteError
from farm.suites.store import resolve_suite
from farm.suites.subsets import select_cases
from tests.fixtures.minisuite import MINI_VERSION, load_mini_suite

BASE = f"bfcl@{MINI_VERSION}"


def farm(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def last_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_add_list_show_and_remove(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    load_mini_suite(settings, engine)
    added = farm(engine, "subsets", "add", "dbg", "--cases", "simple_python_0-1,multi_turn_base_*")
    assert added.exit_code == 0, added.output
    assert f"added subset dbg of {BASE}: 4 cases" in added.output
    ids = tmp_path / "ids.txt"
    ids.write_text("# edge\nparallel_1\nsimple_java_0\n")
    assert farm(engine, "subsets", "add", "edge", "--file", str(ids)).exit_code == 0
    sampled = farm(engine, "subsets", "add", "s8", "--sample", "8", "--seed", "3")
    assert sampled.exit_code == 0, sampled.output
    listed = last_json(farm(engine, "subsets", "list", "--json"))
    assert [(s["name"], s["cases"], s["suite"]) for s in listed] == [  # type: ignore[union-attr]
        ("dbg", 4, BASE),
        ("edge", 2, BASE),
        ("s8", 8, BASE),
    ]
    shown = last_json(farm(engine, "subsets", "show", "edge", "--json"))
    assert shown["case_ids"] == ["simple_java_0", "parallel_1"]  # type: ignore[index]
    assert shown["definition"] == f"--file {ids}"  # type: ignore[index]
    again = last_json(farm(engine, "subsets", "show", "s8", "--json"))
    with session_scope(engine) as session:
        redraw = select_cases(session, resolve_suite(session, BASE), sample=8, seed=3)
    assert again["case_ids"] == redraw.case_ids  # type: ignore[index]
    assert sum(again["categories"].values()) == 8  # type: ignore[index]
    plain = farm(engine, "subsets", "show", "dbg", "--ids")
    assert plain.output.split() == [
        "simple_python_0",
        "simple_python_1",
        "multi_turn_base_0",
        "multi_turn_base_1",
    ]
    assert farm(engine, "subsets", "remove", "dbg").exit_code == 0
    gone = farm(engine, "subsets", "show", "dbg")
    assert gone.exit_code == 2
    assert gone.stderr == (
        f"farm: error: unknown subset 'dbg' of {BASE}; subsets of it: edge, s8\n"
    )


def test_bad_subset_requests_are_one_line_errors(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    load_mini_suite(settings, engine)
    assert farm(engine, "subsets", "add", "a", "--cases", "parallel_0").exit_code == 0
    ids = tmp_path / "ids.txt"
    ids.write_text("parallel_0\nparallel_7\n")
    cases = [
        (("add", "a", "--cases", "parallel_1"), "subset 'a' of bfcl@0.0.1 exists; remove it first"),
        (("add", "b"), "give the cases: --cases, --file or --sample"),
        (("add", "b", "--file", str(ids)), "1 id(s) not in the suite: parallel_7"),
        (("add", "b", "--cases", "paralel_0"), "did you mean parallel_0"),
        (("add", "b", "--sample", "99"), "--sample 99 exceeds the 32 cases"),
        (("add", "b c", "--cases", "parallel_0"), "invalid subset name 'b c'"),
        (("add", "b", "--suite", "bfcl@2", "--cases", "parallel_0"), "has no version '2'"),
        (("remove", "zzz"), "unknown subset 'zzz'"),
    ]
    for args, fragment in cases:
        done = farm(engine, "subsets", *args)
        assert done.exit_code != 0, args
        assert done.stderr.startswith("farm: error: ") and done.stderr.count("\n") == 1
        assert fragment in done.stderr, (args, done.stderr)


def test_selection_filters_compose_in_order(settings: Settings, sqlite: Engine) -> None:
    load_mini_suite(settings, sqlite)
    with session_scope(sqlite) as session:
        suite = resolve_suite(session, BASE)
        live = select_cases(session, suite, categories=["live"], cases=["*relevance_0-0-0"])
        assert live.case_ids == ["live_irrelevance_0-0-0", "live_relevance_0-0-0"]
        assert live.definition == "--cases *relevance_0-0-0"
        try:
            select_cases(session, suite, categories=["multi_turn"], cases=["parallel_0"])
        except SuiteError as exc:
            assert "'parallel_0' matches no case of the" in str(exc)
            assert "cases chosen (--categories)" in str(exc)  # not "of the suite": it is there
        else:
            raise AssertionError("a case outside the categories was accepted")
