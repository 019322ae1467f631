"""``farm suites add``: a directory of BFCL-format files becomes a suite, or nothing does."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from farm.db.engine import session_scope
from farm.errors import SuiteError
from farm.suites.local import add_suite
from farm.suites.store import category_counts, list_suites, load_cases, resolve_suite
from tests.fixtures.minisuite import MINI_ROOT

DATA = MINI_ROOT / "bfcl_eval" / "data"


def make_suite_dir(root: Path) -> Path:
    """Three BFCL files (one without answers) and a custom .jsonl category."""
    (root / "possible_answer").mkdir(parents=True)
    for category in ("simple_python", "parallel"):
        name = f"BFCL_v4_{category}.json"
        shutil.copy(DATA / name, root / name)
        shutil.copy(DATA / "possible_answer" / name, root / "possible_answer" / name)
    shutil.copy(DATA / "BFCL_v4_irrelevance.json", root / "BFCL_v4_irrelevance.json")
    entry = {
        "id": "inventory_0",
        "question": [[{"role": "user", "content": "How many bolts are left?"}]],
        "function": [
            {
                "name": "stock.count",
                "description": "Count items in stock.",
                "parameters": {
                    "type": "dict",
                    "properties": {"item": {"type": "string", "description": "Item name."}},
                    "required": ["item"],
                },
            }
        ],
    }
    truth = {"id": "inventory_0", "ground_truth": [{"stock.count": {"item": ["bolt", "bolts"]}}]}
    (root / "inventory.jsonl").write_text(json.dumps(entry) + "\n")
    (root / "possible_answer" / "inventory.jsonl").write_text(json.dumps(truth) + "\n")
    return root


def names(engine: Engine) -> list[tuple[str, str, int]]:
    with session_scope(engine) as session:
        return [(r.name, r.version, r.n_cases) for r in list_suites(session)]


def test_a_directory_becomes_a_suite_with_its_categories(engine: Engine, tmp_path: Path) -> None:
    suite, created = add_suite(engine, "mine", make_suite_dir(tmp_path / "s"))
    assert created and suite.version == "1"
    with session_scope(engine) as session:
        counts = category_counts(session, suite.id)
        picked = load_cases(session, suite.id, categories=["inventory"])
        python = load_cases(session, resolve_suite(session, "mine@1").id, categories=["python"])
    assert counts == {"simple_python": 3, "parallel": 2, "irrelevance": 2, "inventory": 1}
    assert picked[0].answer == [{"stock.count": {"item": ["bolt", "bolts"]}}]
    assert picked[0].language == "python"
    assert {c.category for c in python} == {"simple_python", "parallel", "irrelevance"}


def test_adding_the_same_content_again_changes_nothing_and_new_content_is_version_two(
    engine: Engine, tmp_path: Path
) -> None:
    directory = make_suite_dir(tmp_path / "s")
    first, _ = add_suite(engine, "mine", directory)
    again, created = add_suite(engine, "mine", directory)
    assert again.id == first.id and not created
    (directory / "BFCL_v4_irrelevance.json").write_text(
        (DATA / "BFCL_v4_irrelevance.json").read_text().splitlines()[0] + "\n"
    )
    second, created = add_suite(engine, "mine", directory)
    assert created and second.version == "2"
    assert names(engine) == [("mine", "1", 8), ("mine", "2", 7)]
    with session_scope(engine) as session:
        assert resolve_suite(session, "mine").id == second.id


def test_an_explicit_version_with_other_content_is_an_error(engine: Engine, tmp_path: Path) -> None:
    directory = make_suite_dir(tmp_path / "s")
    add_suite(engine, "mine", directory, version="v1")
    (directory / "inventory.jsonl").write_text(
        (directory / "inventory.jsonl").read_text().replace("bolts", "nuts")
    )
    with pytest.raises(SuiteError, match="mine@v1 is already loaded from different content"):
        add_suite(engine, "mine", directory, version="v1")


def _bad_line(d: Path) -> None:
    path = d / "possible_answer" / "BFCL_v4_parallel.json"
    path.write_text(path.read_text().splitlines()[0] + "\n[1, 2\n")


def _no_answers(d: Path) -> None:
    (d / "possible_answer" / "BFCL_v4_simple_python.json").unlink()


def _duplicate_across_files(d: Path) -> None:
    text = (d / "inventory.jsonl").read_text()
    (d / "more.jsonl").write_text(text)
    (d / "possible_answer" / "more.jsonl").write_text(
        (d / "possible_answer" / "inventory.jsonl").read_text()
    )


def _no_function(d: Path) -> None:
    entry = json.loads((d / "inventory.jsonl").read_text())
    del entry["function"]
    (d / "inventory.jsonl").write_text(json.dumps(entry) + "\n")


def _multi_turn(d: Path) -> None:
    shutil.copy(DATA / "BFCL_v4_multi_turn_base.json", d / "BFCL_v4_multi_turn_base.json")


def _stray_answer(d: Path) -> None:
    (d / "possible_answer" / "ghost.json").write_text("")


def _bad_turns(d: Path) -> None:
    entry = json.loads((d / "inventory.jsonl").read_text())
    entry["question"] = ["How many?"]
    (d / "inventory.jsonl").write_text(json.dumps(entry) + "\n")


BAD: list[tuple[Callable[[Path], None], str]] = [
    (_bad_line, "BFCL_v4_parallel.json line 2: invalid JSON"),
    (_no_answers, "missing answer file"),
    (_duplicate_across_files, "duplicate case id 'inventory_0'"),
    (_no_function, "inventory.jsonl line 1: missing 'function'"),
    (_multi_turn, "BFCL_v4_multi_turn_base.json line 1: multi-turn entries"),
    (_stray_answer, "ghost.json: answer file without a matching question file"),
    (_bad_turns, "inventory.jsonl line 1: turn 0 of 'question' is not a list"),
]


@pytest.mark.parametrize(("spoil", "expected"), BAD, ids=[f.__name__ for f, _ in BAD])
def test_an_invalid_directory_names_the_problem_and_stores_nothing(
    engine: Engine, tmp_path: Path, spoil: Callable[[Path], None], expected: str
) -> None:
    directory = make_suite_dir(tmp_path / "s")
    spoil(directory)
    with pytest.raises(SuiteError) as info:
        add_suite(engine, "mine", directory)
    assert expected in str(info.value)
    assert names(engine) == []


def test_missing_and_empty_directories_and_bad_names_are_refused(
    sqlite: Engine, tmp_path: Path
) -> None:
    with pytest.raises(SuiteError, match="suite directory not found"):
        add_suite(sqlite, "mine", tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SuiteError, match="holds no .json or .jsonl files"):
        add_suite(sqlite, "mine", tmp_path / "empty")
    directory = make_suite_dir(tmp_path / "s")
    with pytest.raises(SuiteError, match="taken by BFCL"):
        add_suite(sqlite, "bfcl", directory)
    with pytest.raises(SuiteError, match="invalid suite name"):
        add_suite(sqlite, "my suite@2", directory)
    assert names(sqlite) == []
