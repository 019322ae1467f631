"""Suite diffs and errata: ``farm suites diff`` and ``farm suites patch``, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select

from farm.cli.main import cli
from farm.config import Settings
from farm.db import models
from farm.db.engine import session_scope
from farm.errors import SuiteError
from farm.suites.bfcl import pull_bfcl
from farm.suites.errata import patch_suite
from farm.suites.store import load_cases, resolve_suite
from tests.fixtures.minisuite import MINI_VERSION, load_mini_suite, mini_members, write_wheel

BASE = f"bfcl@{MINI_VERSION}"
ERRATA = [
    {
        "id": "simple_python_0",
        "reason": "the unit may be abbreviated",
        "add_possible_answers": {"geometry.circle_area": {"unit": ["m"]}},
    },
    {
        "id": "parallel_1",
        "reason": "the second timer is 5 minutes",
        "ground_truth": [{"timer.start": {"minutes": [5]}}],
    },
    {"id": "multi_turn_base_1", "reason": "ambiguous request", "remove": True},
]


def farm(engine: Engine, *args: str) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["--database-url", url, *args])


def write_errata(path: Path, entries: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def test_patch_stores_a_derived_version_and_diff_shows_exactly_its_changes(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    load_mini_suite(settings, engine)
    subset = farm(engine, "subsets", "add", "mt", "--cases", "multi_turn_base_*,parallel_1")
    assert subset.exit_code == 0, subset.output
    errata = write_errata(tmp_path / "fix1.jsonl", ERRATA)
    done = farm(engine, "suites", "patch", BASE, "--errata", str(errata))
    assert done.exit_code == 0, done.output
    assert f"stored bfcl@{MINI_VERSION}+fix1: 3 correction(s) applied, 31 cases" in done.output
    again = farm(engine, "suites", "patch", BASE, "--errata", str(errata))
    assert again.exit_code == 0 and "already holds these errata" in again.output
    with session_scope(engine) as session:
        derived = resolve_suite(session, f"{BASE}+fix1")
        parent = resolve_suite(session, BASE)
        assert derived.parent_id == parent.id
        assert derived.errata_sha256 == hashlib.sha256(errata.read_bytes()).hexdigest()
        assert [c["id"] for c in derived.extra["errata"]["changes"]] == [e["id"] for e in ERRATA]
        assert resolve_suite(session, "bfcl").id == parent.id
        cases = {c.case_id: c for c in load_cases(session, derived.id)}
    assert cases["simple_python_0"].answer[0]["geometry.circle_area"]["unit"] == [
        "meters",
        "",
        "m",
    ]
    assert cases["parallel_1"].answer == ERRATA[1]["ground_truth"]
    assert "multi_turn_base_1" not in cases
    shown = farm(engine, "suites", "diff", BASE, f"{BASE}+fix1", "--json")
    assert shown.exit_code == 0, shown.output
    diff = json.loads(shown.output.strip().splitlines()[-1])
    assert diff["added"] == []
    assert diff["removed"] == ["multi_turn_base_1"]
    assert diff["changed"] == [
        {"case_id": "simple_python_0", "category": "simple_python", "fields": ["ground_truth"]},
        {"case_id": "parallel_1", "category": "parallel", "fields": ["ground_truth"]},
    ]
    assert diff["unchanged"] == 29
    assert diff["categories"]["multi_turn_base"] == {
        "added": 0,
        "removed": 1,
        "changed": 0,
        "unchanged": 1,
    }
    table = farm(engine, "suites", "diff", BASE, f"{BASE}+fix1")
    assert "0 added, 1 removed, 2 changed, 29 unchanged" in table.output
    carried = farm(engine, "subsets", "show", "mt", "--suite", f"{BASE}+fix1", "--json")
    assert json.loads(carried.stdout)["case_ids"] == ["parallel_1", "multi_turn_base_0"]
    refused = farm(engine, "suites", "remove", BASE)
    assert refused.exit_code != 0 and "is the parent of" in refused.stderr


def test_diff_between_two_wheels_names_added_removed_and_changed_cases(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    load_mini_suite(settings, engine)
    members = mini_members("0.0.2")
    data = "bfcl_eval/data/"
    new_case = {
        "id": "simple_python_3",
        "question": [[{"role": "user", "content": "Area of a circle of radius 2?"}]],
        "function": json.loads(members[f"{data}BFCL_v4_simple_python.json"].splitlines()[0])[
            "function"
        ],
    }
    members[f"{data}BFCL_v4_simple_python.json"] += (json.dumps(new_case) + "\n").encode()
    truth = {"id": "simple_python_3", "ground_truth": [{"geometry.circle_area": {"radius": [2.0]}}]}
    members[f"{data}possible_answer/BFCL_v4_simple_python.json"] += (
        json.dumps(truth) + "\n"
    ).encode()
    members[f"{data}BFCL_v4_live_relevance.json"] = members[
        f"{data}BFCL_v4_live_relevance.json"
    ].splitlines(keepends=True)[0]
    answers = members[f"{data}possible_answer/BFCL_v4_parallel.json"].splitlines(keepends=True)
    first = json.loads(answers[0])
    first["ground_truth"].reverse()
    answers[0] = (json.dumps(first) + "\n").encode()
    members[f"{data}possible_answer/BFCL_v4_parallel.json"] = b"".join(answers)
    source = "bfcl_eval/eval_checker/multi_turn_eval/func_source_code/counter_api.py"
    members[source] += b"\n# a comment changes the environment source\n"
    wheel = write_wheel(tmp_path / "bfcl_eval-0.0.2-py3-none-any.whl", members)
    pull_bfcl(settings, engine, wheel=wheel)
    shown = farm(engine, "suites", "diff", BASE, "bfcl@0.0.2", "--json")
    assert shown.exit_code == 0, shown.output
    diff = json.loads(shown.output.strip().splitlines()[-1])
    assert diff["added"] == ["simple_python_3"]
    assert diff["removed"] == ["live_relevance_1-1-0"]
    assert diff["changed"] == [
        {"case_id": "parallel_0", "category": "parallel", "fields": ["ground_truth"]}
    ]
    assert diff["unchanged"] == 30
    assert diff["sources"] == ["~counter_api.py"]


def test_an_unknown_version_is_a_one_line_error(settings: Settings, engine: Engine) -> None:
    load_mini_suite(settings, engine)
    done = farm(engine, "suites", "diff", BASE, "bfcl@9.9")
    assert done.exit_code == 2
    assert done.stderr == (
        f"farm: error: suite 'bfcl' has no version '9.9'; loaded: {MINI_VERSION}\n"
    )


GOOD = '{"id": "simple_python_1", "reason": "r", "question": [[{"role": "user", "content": "x"}]]}'


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ("{not json", "line 2: invalid JSON"),
        ('{"id": "simple_python_99", "reason": "r", "remove": true}', "line 2: unknown case id"),
        ('{"id": "simple_python_1", "reason": "r", "remove": true}', "is already corrected at"),
        ('{"id": "parallel_0", "remove": true}', "line 2: every correction needs a non-empty"),
        ('{"id": "parallel_0", "reason": "r", "answer": []}', "line 2: unknown field(s) answer"),
        ('{"id": "parallel_0", "reason": "r"}', "line 2: no change given"),
        ('{"id": "parallel_0", "reason": "r", "remove": 1}', "line 2: 'remove' must be true"),
        (
            '{"id": "irrelevance_0", "reason": "r", "ground_truth": [{"f": {}}]}',
            "line 2: category 'irrelevance' has no ground truth",
        ),
        (
            '{"id": "parallel_0", "reason": "r", "add_possible_answers": {"nope": {"a": [1]}}}',
            "line 2: function 'nope' is not in the ground truth of 'parallel_0'",
        ),
        (
            '{"id": "simple_python_0", "reason": "r", '
            '"add_possible_answers": {"geometry.circle_area": {"colour": ["red"]}}}',
            "line 2: 'geometry.circle_area' has no parameter 'colour' in the ground truth",
        ),
        (
            '{"id": "multi_turn_base_0", "reason": "r", "ground_truth": [["reset()"]]}',
            "line 2: 'ground_truth' has 1 turns, 'multi_turn_base_0' has 2",
        ),
        (
            '{"id": "multi_turn_base_0", "reason": "r", "function": []}',
            "line 2: multi-turn function docs come from the environment classes",
        ),
        (
            '{"id": "parallel_0", "reason": "r", "function": [{"description": "x"}]}',
            "line 2: a function doc has no string 'name'",
        ),
        (
            '{"id": "parallel_0", "reason": "r", "question": [[]]}',
            "line 2: turn 0 of 'question' is empty",
        ),
    ],
)
def test_bad_errata_name_the_line_and_store_nothing(
    settings: Settings, sqlite: Engine, tmp_path: Path, second: str, message: str
) -> None:
    load_mini_suite(settings, sqlite)
    path = tmp_path / "bad.jsonl"
    path.write_text(GOOD + "\n" + second + "\n")
    with pytest.raises(SuiteError) as caught:
        patch_suite(sqlite, BASE, path)
    assert str(caught.value).startswith(f"{path} line ")
    assert message in str(caught.value)
    with session_scope(sqlite) as session:
        assert session.scalar(select(func.count()).select_from(models.Suite)) == 1


def test_patch_errors_on_the_command_line_are_one_line(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    load_mini_suite(settings, engine)
    missing = farm(engine, "suites", "patch", BASE, "--errata", str(tmp_path / "none.jsonl"))
    assert missing.exit_code == 2 and missing.stderr.startswith("farm: error: cannot read errata")
    errata = write_errata(tmp_path / "e.jsonl", ERRATA[:1])
    bad_name = farm(engine, "suites", "patch", BASE, "--errata", str(errata), "--name", "a b")
    assert bad_name.exit_code == 2 and "invalid errata name 'a b'" in bad_name.stderr
    no_version = farm(engine, "suites", "patch", "bfcl", "--errata", str(errata))
    assert "name the version to patch: bfcl@VERSION" in no_version.stderr
    assert farm(engine, "suites", "patch", BASE, "--errata", str(errata)).exit_code == 0
    other = write_errata(tmp_path / "e2.jsonl", ERRATA[1:2])
    clash = farm(engine, "suites", "patch", BASE, "--errata", str(other), "--name", "e")
    assert clash.exit_code == 2 and "already exists from other errata" in clash.stderr
    assert all(r.stderr.count("\n") == 1 for r in (missing, bad_name, no_version, clash))
