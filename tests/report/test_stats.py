"""Confidence intervals and the exact McNemar test on known values."""

from __future__ import annotations

import math

import pytest

from farm.report.stats import linear_interval, mcnemar_exact, wilson_interval


def test_wilson_interval_of_8_out_of_10_matches_the_textbook_value() -> None:
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_of_zero_successes_starts_at_zero_and_is_not_degenerate() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=1e-4)


def test_wilson_interval_is_symmetric_for_complementary_counts() -> None:
    low, high = wilson_interval(3, 20)
    low2, high2 = wilson_interval(17, 20)
    assert low == pytest.approx(1 - high2)
    assert high == pytest.approx(1 - low2)


def test_wilson_interval_narrows_as_n_grows_and_always_contains_the_estimate() -> None:
    widths = []
    for n in (10, 100, 1000, 10000):
        low, high = wilson_interval(n // 2, n)
        assert low < 0.5 < high
        widths.append(high - low)
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] == pytest.approx(2 * 1.96 * math.sqrt(0.25 / 10000), rel=1e-2)


def test_wilson_interval_without_trials_is_the_whole_unit_interval() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_rejects_more_successes_than_trials() -> None:
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_mcnemar_on_a_1_vs_5_table_is_14_over_64() -> None:
    assert mcnemar_exact(1, 5) == pytest.approx(14 / 64)
    assert mcnemar_exact(5, 1) == pytest.approx(14 / 64)


def test_mcnemar_on_a_2_vs_10_table_matches_the_binomial_tail() -> None:
    assert mcnemar_exact(2, 10) == pytest.approx(2 * (1 + 12 + 66) / 4096)
    assert mcnemar_exact(2, 10) == pytest.approx(0.0386, abs=1e-4)


def test_mcnemar_with_all_discordant_pairs_one_way() -> None:
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)


def test_mcnemar_is_one_for_balanced_or_empty_tables() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(7, 7) == 1.0
    assert mcnemar_exact(3, 4) == 1.0


def test_mcnemar_handles_thousands_of_discordant_pairs() -> None:
    p = mcnemar_exact(1000, 1200)
    assert 0 < p < 1e-4
    assert mcnemar_exact(1000, 1001) > 0.9


def test_linear_interval_of_one_term_is_the_normal_interval() -> None:
    low, high = linear_interval([(1.0, 50, 100)])
    half = 1.959963984540054 * math.sqrt(0.25 / 100)
    assert (low, high) == pytest.approx((0.5 - half, 0.5 + half))


def test_linear_interval_ignores_categories_that_did_not_run() -> None:
    assert linear_interval([(0.5, 5, 10), (0.5, 0, 0)]) == pytest.approx(
        linear_interval([(0.5, 5, 10)])
    )


def test_mcnemar_beyond_the_exact_limit_agrees_with_integer_sums() -> None:
    import math

    from farm.report.stats import mcnemar_exact

    def integer_sum(a: int, b: int) -> float:
        n, k = a + b, min(a, b)
        return float(min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n))

    for a, b in [(600, 700), (1000, 1100), (2000, 2100), (1001, 1), (1500, 1500)]:
        assert mcnemar_exact(a, b) == pytest.approx(integer_sum(a, b), rel=1e-9)
