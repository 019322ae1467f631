"""Picking cases: --cases items, stratified --sample, id files (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.errors import SuiteError
from farm.suites.selection import allocate, check_ids, pick_cases, read_id_file, sample_cases

IDS = [
    *(f"simple_python_{i}" for i in range(60)),
    "live_simple_0-0-0",
    "live_simple_1-1-0",
    "live_simple_12-3-9",
    "multi_turn_base_0",
    "multi_turn_base_1",
    "multi_turn_base_10",
]
CATS = [(i, i.rsplit("_", 1)[0] if i.startswith("simple") else i.split("_")[0]) for i in IDS]


def test_exact_ids_ranges_and_globs_come_back_in_suite_order() -> None:
    assert pick_cases("simple_python_3", IDS) == ["simple_python_3"]
    assert pick_cases("simple_python_0-49", IDS) == [f"simple_python_{i}" for i in range(50)]
    assert pick_cases(["multi_turn_base_1?", "simple_python_2,simple_python_1"], IDS) == [
        "simple_python_1",
        "simple_python_2",
        "multi_turn_base_10",
    ]
    assert pick_cases("live_simple_0-1", IDS) == ["live_simple_0-0-0", "live_simple_1-1-0"]
    assert pick_cases("live_simple_12-3-9", IDS) == ["live_simple_12-3-9"]
    assert pick_cases("*_1", IDS) == ["simple_python_1", "multi_turn_base_1"]
    assert pick_cases("simple_python_5-6, simple_python_6", IDS) == [
        "simple_python_5",
        "simple_python_6",
    ]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("simple_pyton_1", "case id 'simple_pyton_1' matches no case of the suite; did you mean"),
        ("simple_python_70-80", "range 'simple_python_70-80' matches no case"),
        ("simple_python_9-2", "empty range 'simple_python_9-2' (9 > 2)"),
        ("java_*", "pattern 'java_*' matches no case"),
        (" , ", "give case ids, ranges"),
    ],
)
def test_an_item_that_picks_nothing_is_a_one_line_error(spec: str, fragment: str) -> None:
    with pytest.raises(SuiteError) as caught:
        pick_cases(spec, IDS)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_a_sample_is_stratified_and_reproducible() -> None:
    cases = [(f"a_{i}", "a") for i in range(300)] + [(f"b_{i}", "b") for i in range(100)]
    first = sample_cases(cases, 40, seed=7)
    assert first == sample_cases(cases, 40, seed=7)
    assert len(first) == 40
    assert sum(1 for c in first if c.startswith("a_")) == 30
    assert first != sample_cases(cases, 40, seed=8)
    assert set(first) <= set(sample_cases(cases, 80, seed=7))
    order = [c for c, _ in cases]
    assert first == sorted(first, key=order.index)
    assert sample_cases(list(reversed(cases)), 40, seed=7) == list(reversed(first))


def test_sample_shares_add_up_and_small_samples_spread_by_seed() -> None:
    sizes = [(f"c{i}", 2) for i in range(17)]
    assert sum(allocate(sizes, 5).values()) == 5
    picks = {tuple(k for k, v in allocate(sizes, 5, seed).items() if v) for seed in range(6)}
    assert len(picks) > 1
    assert allocate([("x", 7), ("y", 1)], 2) == {"x": 2, "y": 0}


@pytest.mark.parametrize(("n", "fragment"), [(0, "positive"), (7, "exceeds the 6 cases")])
def test_a_bad_sample_size_is_an_error(n: int, fragment: str) -> None:
    with pytest.raises(SuiteError, match=fragment):
        sample_cases([(f"x_{i}", "x") for i in range(6)], n, seed=0)


def test_id_files_skip_comments_and_unknown_ids_are_named(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# edge subset\nsimple_python_2\n\nsimple_python_1  # flaky\n")
    assert check_ids(read_id_file(path), IDS, str(path)) == ["simple_python_1", "simple_python_2"]
    path.write_text("simple_python_1\nnope_1\n")
    with pytest.raises(SuiteError, match=r"ids.txt: 1 id\(s\) not in the suite: nope_1"):
        check_ids(read_id_file(path), IDS, str(path))
    path.write_text("# nothing\n")
    with pytest.raises(SuiteError, match="holds no case ids"):
        read_id_file(path)
