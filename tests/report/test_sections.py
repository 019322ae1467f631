"""BFCL v4 section formulas on hand-computed examples."""

from __future__ import annotations

import pytest

from farm.scoring.sections import (
    BFCL_SIZES,
    SECTION_NAMES,
    CategoryScore,
    SectionScore,
    compute_sections,
)
from farm.suites.categories import MULTI_TURN, SINGLE_TURN


def _by_name(sections: list[SectionScore]) -> dict[str, SectionScore]:
    return {s.name: s for s in sections}


def _full(acc: dict[str, tuple[int, int]]) -> dict[str, CategoryScore]:
    return {c: CategoryScore(c, n, k) for c, (k, n) in acc.items()}


def test_category_accuracy_is_correct_over_n_and_zero_when_empty_or_not_run() -> None:
    assert CategoryScore("multiple", 4, 3).accuracy == 0.75
    assert CategoryScore("multiple", 0, 0).accuracy == 0.0
    assert CategoryScore("multiple", 4, 3, ran=False).accuracy == 0.0


def test_sections_come_in_the_documented_order() -> None:
    sections = compute_sections({})
    assert [s.name for s in sections] == list(SECTION_NAMES)


def test_every_farm_category_run_gives_bfcl_numbers() -> None:
    scores = _full(
        {
            "simple_python": (3, 4),  # 0.75
            "simple_java": (1, 2),  # 0.5
            "simple_javascript": (1, 1),  # 1.0
            "multiple": (1, 2),  # 0.5
            "parallel": (0, 2),  # 0
            "parallel_multiple": (2, 2),  # 1
            "irrelevance": (3, 4),  # 0.75
            "live_simple": (1, 2),
            "live_multiple": (6, 8),
            "live_parallel": (0, 1),
            "live_parallel_multiple": (1, 1),
            "live_irrelevance": (1, 4),  # 0.25
            "live_relevance": (1, 2),
            "multi_turn_base": (1, 2),
            "multi_turn_miss_func": (0, 2),
            "multi_turn_miss_param": (2, 2),
            "multi_turn_long_context": (1, 4),
        }
    )
    s = _by_name(compute_sections(scores))
    simple = (0.75 + 0.5 + 1.0) / 3
    assert s["non_live_simple"].accuracy == pytest.approx(simple)
    assert s["non_live_simple"].ran
    assert s["non_live"].accuracy == pytest.approx((simple + 0.5 + 0.0 + 1.0) / 4)
    assert s["live"].accuracy == pytest.approx((1 + 6 + 0 + 1) / 12)
    assert s["live"].n == 12
    assert s["multi_turn"].accuracy == pytest.approx((0.5 + 0 + 1 + 0.25) / 4)
    assert s["irrelevance"].accuracy == pytest.approx((0.75 + 0.25) / 2)
    assert s["relevance"].accuracy == pytest.approx(0.5)
    # The farm never runs agentic categories: 0 and not ran, as in BFCL.
    assert s["agentic"].accuracy == 0.0 and not s["agentic"].ran
    expected = (
        0.1 * s["non_live"].accuracy
        + 0.1 * s["live"].accuracy
        + 0.1 * s["irrelevance"].accuracy
        + 0.3 * s["multi_turn"].accuracy
    )
    assert s["overall"].accuracy == pytest.approx(expected)
    assert not s["overall"].ran


def test_a_missing_live_category_weighs_its_full_dataset_size_as_zero() -> None:
    scores = _full({"live_simple": (258, 258), "live_multiple": (1053, 1053)})
    live = _by_name(compute_sections(scores))["live"]
    total = 258 + 1053 + BFCL_SIZES["live_parallel"] + BFCL_SIZES["live_parallel_multiple"]
    assert live.accuracy == pytest.approx((258 + 1053) / total)
    assert not live.ran


def test_given_sizes_replace_bfcl_sizes_for_missing_categories() -> None:
    scores = _full({"live_simple": (1, 1)})
    sizes = {"live_multiple": 3, "live_parallel": 0, "live_parallel_multiple": 0}
    live = _by_name(compute_sections(scores, sizes=sizes))["live"]
    assert live.accuracy == pytest.approx(1 / 4)


def test_a_category_marked_not_ran_counts_as_missing() -> None:
    scores = {"simple_python": CategoryScore("simple_python", 4, 4, ran=False)}
    s = _by_name(compute_sections(scores))
    assert s["non_live_simple"].accuracy == 0.0
    assert not s["non_live_simple"].ran


def test_perfect_non_agentic_run_scores_sixty_percent_overall() -> None:
    scores = {c: CategoryScore(c, 5, 5) for c in (*SINGLE_TURN, *MULTI_TURN)}
    s = _by_name(compute_sections(scores))
    for name in ("non_live_simple", "non_live", "live", "multi_turn", "irrelevance", "relevance"):
        assert s[name].accuracy == pytest.approx(1.0)
        assert s[name].ran
    assert s["overall"].accuracy == pytest.approx(0.6)


def test_no_scores_at_all_give_zeros_without_dividing_by_zero() -> None:
    s = _by_name(compute_sections({}, sizes={}))
    assert all(v.accuracy == 0.0 and not v.ran for v in s.values())
