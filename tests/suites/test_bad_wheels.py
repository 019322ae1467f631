"""A broken wheel gives one clear error and stores nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from farm.config import Settings
from farm.db import models
from farm.db.engine import session_scope
from farm.errors import StorageError, SuiteError
from farm.suites.bfcl import pull_bfcl
from tests.fixtures.minisuite import mini_members, write_wheel

DATA = "bfcl_eval/data"
Members = dict[str, bytes]


def wheel_with(tmp_path: Path, change: Callable[[Members], object]) -> Path:
    members = mini_members()
    change(members)
    return write_wheel(tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl", members)


def edit_lines(members: Members, name: str, edit: Callable[[list[str]], list[str]]) -> None:
    lines = members[name].decode().splitlines()
    members[name] = ("\n".join(edit(lines)) + "\n").encode()


def stored(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        suites = session.scalar(select(func.count()).select_from(models.Suite))
        cases = session.scalar(select(func.count()).select_from(models.TestCase))
    return int(suites or 0), int(cases or 0)


def assert_fails(settings: Settings, engine: Engine, wheel: Path, *fragments: str) -> str:
    with pytest.raises(SuiteError) as info:
        pull_bfcl(settings, engine, wheel=wheel)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert stored(engine) == (0, 0)
    return message


def test_a_file_that_is_not_a_zip_is_a_corrupt_wheel(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    wheel = tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl"
    wheel.write_bytes(b"this is not a zip archive at all" * 10)
    assert_fails(settings, engine, wheel, "corrupt wheel", str(wheel))


def test_a_truncated_wheel_is_a_corrupt_wheel(
    settings: Settings, engine: Engine, mini_wheel: Path, tmp_path: Path
) -> None:
    wheel = tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl"
    wheel.write_bytes(mini_wheel.read_bytes()[:-400])
    assert_fails(settings, engine, wheel, "corrupt wheel")


def test_a_damaged_member_is_a_corrupt_wheel(
    settings: Settings, sqlite: Engine, mini_wheel: Path, tmp_path: Path
) -> None:
    data = bytearray(mini_wheel.read_bytes())
    for offset in range(200, len(data) // 2, 97):
        data[offset] ^= 0x55
    wheel = tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl"
    wheel.write_bytes(bytes(data))
    assert_fails(settings, sqlite, wheel, "corrupt wheel")


def test_a_missing_wheel_file_is_named(settings: Settings, sqlite: Engine, tmp_path: Path) -> None:
    assert_fails(settings, sqlite, tmp_path / "nope.whl", "wheel file not found", "nope.whl")


def test_a_missing_answer_file_is_named(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    answer = f"{DATA}/possible_answer/BFCL_v4_simple_java.json"
    wheel = wheel_with(tmp_path, lambda m: m.pop(answer))
    assert_fails(settings, engine, wheel, "lacks the answer file", answer)


def test_a_missing_category_file_is_named(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    prompts = f"{DATA}/BFCL_v4_live_relevance.json"
    wheel = wheel_with(tmp_path, lambda m: m.pop(prompts))
    assert_fails(settings, sqlite, wheel, "lacks", prompts)


def test_a_bad_json_line_names_file_and_line(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/BFCL_v4_multiple.json"
    wheel = wheel_with(
        tmp_path, lambda m: edit_lines(m, name, lambda lines: [lines[0], '{"id": "multiple_1",'])
    )
    assert_fails(settings, engine, wheel, f"{name} line 2: invalid JSON")


def test_a_duplicate_id_names_both_lines(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/BFCL_v4_parallel.json"
    wheel = wheel_with(tmp_path, lambda m: edit_lines(m, name, lambda lines: [*lines, lines[0]]))
    assert_fails(
        settings, engine, wheel, f"{name} line 3: duplicate case id 'parallel_0'", "line 1"
    )


def test_a_case_without_an_answer_is_named(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/possible_answer/BFCL_v4_live_simple.json"
    wheel = wheel_with(tmp_path, lambda m: edit_lines(m, name, lambda lines: lines[:1]))
    assert_fails(settings, sqlite, wheel, "line 2: no possible answer for 'live_simple_1-1-0'")


def test_an_answer_without_a_case_is_named(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/possible_answer/BFCL_v4_multiple.json"
    extra = '{"id": "multiple_99", "ground_truth": []}'
    wheel = wheel_with(tmp_path, lambda m: edit_lines(m, name, lambda lines: [*lines, extra]))
    assert_fails(settings, sqlite, wheel, f"{name} line 3: answer for unknown case id")


def test_an_unknown_involved_class_is_named(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/BFCL_v4_multi_turn_base.json"

    def rename(lines: list[str]) -> list[str]:
        return [lines[0].replace('"CounterAPI"]', '"AbacusAPI"]'), *lines[1:]]

    wheel = wheel_with(tmp_path, lambda m: edit_lines(m, name, rename))
    assert_fails(settings, sqlite, wheel, "unknown involved class 'AbacusAPI'", "CounterAPI")


def test_a_missed_function_that_is_not_in_the_docs_is_named(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    name = f"{DATA}/BFCL_v4_multi_turn_miss_func.json"

    def rename(lines: list[str]) -> list[str]:
        return [line.replace('["delete_note"]', '["shred_note"]') for line in lines]

    wheel = wheel_with(tmp_path, lambda m: edit_lines(m, name, rename))
    assert_fails(settings, sqlite, wheel, "missed function 'shred_note'")


def test_a_version_that_does_not_match_the_wheel_is_refused(
    settings: Settings, sqlite: Engine, mini_wheel: Path
) -> None:
    with pytest.raises(SuiteError, match="is bfcl-eval 0.0.1, not 9.9"):
        pull_bfcl(settings, sqlite, wheel=mini_wheel, version="9.9")
    assert stored(sqlite) == (0, 0)


def test_a_write_the_database_rejects_rolls_back_the_whole_suite(
    settings: Settings, pg: Engine, tmp_path: Path
) -> None:
    # PostgreSQL's JSONB refuses NUL characters; the last category is written last.
    name = f"{DATA}/BFCL_v4_multi_turn_long_context.json"
    wheel = wheel_with(
        tmp_path, lambda m: edit_lines(m, name, lambda ls: [ls[0].replace("milk", "mi\\u0000lk")])
    )
    with pytest.raises(StorageError, match="database error"):
        pull_bfcl(settings, pg, wheel=wheel)
    assert stored(pg) == (0, 0)
