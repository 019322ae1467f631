"""Statistics for leaderboards: confidence intervals and the exact McNemar test."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Discordant pairs up to which :func:`mcnemar_exact` sums exact integers.
EXACT_LIMIT = 1000

#: The two-sided 95% standard normal quantile.
Z95 = 1.959963984540054


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default).

    Args:
        correct: Number of successes.
        n: Number of trials; with ``n == 0`` nothing is known and the interval is (0, 1).
        z: Normal quantile of the interval's level.

    Returns:
        ``(low, high)``, both within ``[0, 1]``.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= correct <= n:
        raise ValueError(f"correct={correct} outside 0..{n}")
    p = correct / n
    z2 = z * z
    denom = 1 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, center - half), min(1.0, center + half))


def linear_interval(terms: Sequence[tuple[float, int, int]], z: float = Z95) -> tuple[float, float]:
    """A normal-approximation interval of a weighted sum of independent proportions.

    Used for the aggregate sections (BFCL's U, W and P aggregates are all linear in the
    category accuracies). Each term is ``(weight, correct, n)``; terms with ``n == 0``
    contribute nothing (a category that was not run is a fixed 0).

    Returns:
        ``(low, high)`` clipped to ``[0, 1]``.
    """
    estimate = 0.0
    variance = 0.0
    for weight, correct, n in terms:
        if n <= 0:
            continue
        p = correct / n
        estimate += weight * p
        variance += weight * weight * p * (1 - p) / n
    half = z * math.sqrt(variance)
    return (max(0.0, estimate - half), min(1.0, estimate + half))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar test p-value on the discordant pairs of a paired 2x2 table.

    Args:
        only_a: Cases correct in A and wrong in B.
        only_b: Cases wrong in A and correct in B.

    Returns:
        ``min(1, 2 * P(X <= min(only_a, only_b)))`` with ``X ~ Binomial(only_a + only_b, 1/2)``;
        1.0 when there are no discordant pairs.
    """
    if only_a < 0 or only_b < 0:
        raise ValueError("discordant counts must be non-negative")
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    if n <= EXACT_LIMIT:
        tail = sum(math.comb(n, i) for i in range(k + 1))
        return float(min(1.0, 2 * tail / 2**n))
    # Big-integer sums cost O(n^2) digits: sum the terms in log space (relative error ~1e-12).
    log_terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)
    ]
    top = max(log_terms)
    log_tail = top + math.log(math.fsum(math.exp(t - top) for t in log_terms)) - n * math.log(2)
    return float(min(1.0, 2 * math.exp(log_tail)))
