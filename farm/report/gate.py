"""The CI gate of ``farm compare --fail-on-regression``: is B significantly worse than A?

A section (``overall`` included) regresses when, over the cases both runs share, more cases
went from right to wrong than the reverse, the exact two-sided McNemar p-value of those
discordant counts is below ``alpha``, and B's score is at least ``min_delta`` percentage
points below A's. Sections the runs do not share a case of are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from farm.report.rows import ComparedScore, Comparison


@dataclass(frozen=True, slots=True)
class Regression:
    """One section where B is significantly worse than A."""

    name: str
    delta: float | None
    only_a: int
    only_b: int
    p_value: float


def find_regressions(
    cmp: Comparison, *, alpha: float = 0.05, min_delta: float = 0.0
) -> list[Regression]:
    """The sections of ``cmp`` where B regressed (see the module docstring), in display order.

    Args:
        cmp: A comparison of B against the baseline A.
        alpha: Significance level of the McNemar test, in (0, 1).
        min_delta: Smallest drop that counts, in percentage points (0 = any drop).
    """
    found = []
    for s in cmp.sections:
        if _regressed(s, alpha, min_delta):
            assert s.p_value is not None
            found.append(Regression(s.name, s.delta, s.only_a, s.only_b, s.p_value))
    return found


def _regressed(s: ComparedScore, alpha: float, min_delta: float) -> bool:
    if not s.shared or s.p_value is None or s.only_a <= s.only_b or s.p_value >= alpha:
        return False
    drop = -(s.delta if s.delta is not None else (s.only_b - s.only_a) / s.shared)
    return drop * 100 >= min_delta and drop > 0


def verdict_line(
    cmp: Comparison, found: list[Regression], *, alpha: float, min_delta: float
) -> str:
    """One line for the CI log: where B regressed, or that it did not."""
    rule = f"McNemar alpha {alpha:g}" + (f", min delta {min_delta:g} pts" if min_delta else "")
    if not found:
        return (
            f"no significant regression of B {cmp.b.short_id} against A {cmp.a.short_id} ({rule})"
        )
    parts = []
    for r in found:
        delta = "" if r.delta is None else f"{r.delta * 100:+.2f} pts, "
        parts.append(f"{r.name} ({delta}{r.only_a} right->wrong vs {r.only_b}, p={r.p_value:.3g})")
    return (
        f"regression: B {cmp.b.short_id} is worse than A {cmp.a.short_id} in "
        f"{'; '.join(parts)} ({rule})"
    )
