"""Reading a BFCL-layout wheel: every category, original docs, multi-turn fields."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from farm.suites.build import case_hash
from farm.suites.case import Case
from farm.suites.categories import ALL, MULTI_TURN, NO_ANSWER, SINGLE_TURN
from farm.suites.wheel import read_wheel
from tests.fixtures.minisuite import MINI_VERSION


def by_id(wheel: Path) -> dict[str, Case]:
    return {case.case_id: case for case in read_wheel(wheel).cases}


def test_the_mini_wheel_has_cases_in_every_farm_category(mini_wheel: Path) -> None:
    data = read_wheel(mini_wheel)
    counts = Counter(case.category for case in data.cases)
    assert set(counts) == {*SINGLE_TURN, *MULTI_TURN}  # no agentic files in the mini wheel
    assert all(counts[c] >= 2 for c in SINGLE_TURN)
    assert counts["multi_turn_base"] == 2
    assert data.name == "bfcl" and data.version == MINI_VERSION
    assert [c.category for c in data.cases] == sorted(
        (c.category for c in data.cases), key=list(ALL).index
    )


def test_cases_keep_file_positions_and_bfcl_ids(mini_wheel: Path) -> None:
    cases = by_id(mini_wheel)
    assert cases["live_simple_1-1-0"].position == 1
    assert cases["simple_python_0"].position == 0
    assert cases["live_simple_1-1-0"].turns[0][0]["role"] == "system"


def test_java_and_javascript_docs_keep_their_original_types(mini_wheel: Path) -> None:
    cases = by_id(mini_wheel)
    java = cases["simple_java_1"]
    assert java.language == "java"
    props = java.functions[0]["parameters"]["properties"]
    assert props["parts"] == {
        "type": "ArrayList",
        "description": "The strings to join.",
        "items": {"type": "String"},
    }
    assert "Java" not in java.functions[0]["description"]
    assert cases["simple_javascript_1"].language == "javascript"
    assert cases["simple_python_0"].functions[0]["name"] == "geometry.circle_area"


def test_answers_are_the_ground_truth_and_relevance_categories_have_none(
    mini_wheel: Path,
) -> None:
    cases = by_id(mini_wheel)
    assert cases["parallel_1"].answer == [
        {"timer.start": {"minutes": [5]}},
        {"timer.start": {"minutes": [10]}},
        {"timer.start": {"minutes": [15]}},
    ]
    for case in cases.values():
        assert (case.answer is None) == (case.category in NO_ANSWER), case.case_id
    assert cases["live_irrelevance_1-1-0"].functions == []


def test_multi_turn_docs_follow_involved_classes_in_order(mini_wheel: Path) -> None:
    case = by_id(mini_wheel)["multi_turn_base_0"]
    names = [doc["name"] for doc in case.functions]
    assert names == [
        "add_note",
        "delete_note",
        "list_notes",
        "search_notes",
        "get_count",
        "increment",
        "reset",
    ]
    assert case.extra["involved_classes"] == ["NotesAPI", "CounterAPI"]
    assert case.extra["initial_config"]["CounterAPI"] == {"count": 2}
    assert case.extra["missed_function"] == {}
    assert case.extra["long_context"] is False
    assert case.answer == [
        ["add_note(title='groceries', text='bread')"],
        ["increment(by=3)", "get_count()"],
    ]
    assert "response" in case.functions[0]


def test_missed_functions_move_from_the_docs_to_their_turn(mini_wheel: Path) -> None:
    case = by_id(mini_wheel)["multi_turn_miss_func_0"]
    assert "delete_note" not in [doc["name"] for doc in case.functions]
    assert [doc["name"] for doc in case.extra["missed_function"]["2"]] == ["delete_note"]
    assert case.turns[2] == []
    assert case.answer is not None and case.answer[1] == []


def test_only_long_context_cases_are_flagged_long_context(mini_wheel: Path) -> None:
    cases = by_id(mini_wheel)
    flagged = {c.category for c in cases.values() if c.extra.get("long_context")}
    assert flagged == {"multi_turn_long_context"}
    assert {c.category for c in cases.values() if "involved_classes" in c.extra} == set(MULTI_TURN)


def test_the_suite_keeps_environment_sources_and_class_files(mini_wheel: Path) -> None:
    extra = read_wheel(mini_wheel).extra
    assert extra["multi_turn_class_files"] == {
        "CounterAPI": "counter_api.py",
        "NotesAPI": "notes_api.py",
    }
    sources = extra["multi_turn_sources"]
    assert {"counter_api.py", "notes_api.py", "long_context.py"} <= set(sources)
    assert "class NotesAPI" in sources["notes_api.py"]
    assert [d["name"] for d in extra["multi_turn_func_docs"]["CounterAPI"]] == [
        "get_count",
        "increment",
        "reset",
    ]


def test_the_wheel_digest_is_the_sha256_of_the_file(mini_wheel: Path) -> None:
    import hashlib

    assert read_wheel(mini_wheel).sha256 == hashlib.sha256(mini_wheel.read_bytes()).hexdigest()


def test_content_hashes_are_stable_and_change_with_the_content(mini_wheel: Path) -> None:
    first = by_id(mini_wheel)
    again = by_id(mini_wheel)
    assert case_hash(first["simple_python_0"]) == case_hash(again["simple_python_0"])
    hashes = {case_hash(case) for case in first.values()}
    assert len(hashes) == len(first)


def test_json_copy_is_a_deep_copy_of_parsed_json() -> None:
    from farm.jsondata import json_copy

    original = {"a": [1, {"b": [2.5, None, "x"]}], "c": {"d": True}}
    copied = json_copy(original)
    assert copied == original
    copied["a"][1]["b"].append("y")
    copied["c"]["d"] = False
    assert original == {"a": [1, {"b": [2.5, None, "x"]}], "c": {"d": True}}
