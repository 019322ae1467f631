"""Repeated runs (``--repeats K``): pass@k, pass^k, means over repeats, flaky cases.

``farm run/submit --repeats K`` plans K runs of the same cases, each an ordinary run with
its own results and scores; ``runs.options["repeat"]`` ties them together as
``{"group": <first repeat's run id>, "index": 1..K, "of": K, "seed": S or null}``. This
module reads such groups back: the leaderboard shows one row per group (the mean of every
score over the repeats with its t interval, pass@k, pass^k), ``farm compare`` pairs the
per-case means of two groups, and ``farm status`` lists the flaky cases.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from farm.agentic.web.usage import summed
from farm.db.models import Result, Run, RunScore
from farm.report.rows import RepeatSummary, RunRow, Score
from farm.report.stats import Z95

#: Key of ``runs.options`` that marks a run as one repeat of a group.
REPEAT_OPTION = "repeat"

#: Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RepeatTag:
    """The ``repeat`` option of one run."""

    group: uuid.UUID
    index: int
    of: int
    seed: int | None


def repeat_tag(options: Mapping[str, Any] | None) -> RepeatTag | None:
    """The run's repeat tag, or None for a run that is not part of a repeat group."""
    raw = (options or {}).get(REPEAT_OPTION)
    if not isinstance(raw, dict):
        return None
    try:
        seed = raw.get("seed")
        return RepeatTag(
            uuid.UUID(str(raw["group"])),
            int(raw["index"]),
            int(raw["of"]),
            int(seed) if seed is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (Cornish-Fisher >30)."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if df <= len(T975):
        return T975[df - 1]
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_interval(values: Sequence[float]) -> tuple[float, tuple[float, float]]:
    """Mean and 95% t interval (clipped to [0, 1]) of per-repeat accuracies.

    One value has no spread to measure: its interval is the value itself.
    """
    k = len(values)
    mean = sum(values) / k
    if k < 2:
        return mean, (mean, mean)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    half = t975(k - 1) * sd / math.sqrt(k)
    return mean, (max(0.0, mean - half), min(1.0, mean + half))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of ``k`` of ``n`` draws (``c`` right) is right."""
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"need 0 < k <= n and 0 <= c <= n, got n={n} c={c} k={k}")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all ``k`` of ``n`` draws (``c`` right) are right (tau-bench's pass^k)."""
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"need 0 < k <= n and 0 <= c <= n, got n={n} c={c} k={k}")
    return math.comb(c, k) / math.comb(n, k)


def group_runs(session: Session, run_id: uuid.UUID) -> tuple[RepeatTag | None, list[Run]]:
    """The repeat tag of ``run_id`` and every run of its group, in repeat order.

    A run outside any group is a group of one (tag None).
    """
    run = session.get(Run, run_id)
    if run is None:
        return None, []
    tag = repeat_tag(run.options)
    if tag is None:
        return None, [run]
    candidates = session.scalars(
        select(Run).where(Run.model_key == run.model_key, Run.suite_id == run.suite_id)
    )
    members = []
    for other in candidates:
        other_tag = repeat_tag(other.options)
        if other_tag is not None and other_tag.group == tag.group:
            members.append((other_tag.index, other))
    return tag, [r for _, r in sorted(members, key=lambda pair: pair[0])]


def case_verdicts(
    session: Session, run_ids: Sequence[uuid.UUID]
) -> dict[str, tuple[str, list[bool]]]:
    """``case_id -> (category, [valid in each run that has it])`` over ``run_ids``."""
    out: dict[str, tuple[str, list[bool]]] = {}
    rows = session.execute(
        select(Result.case_id, Result.category, Result.valid).where(Result.run_id.in_(run_ids))
    )
    for case_id, category, valid in rows:
        out.setdefault(case_id, (category, []))[1].append(bool(valid))
    return out


def flaky(verdicts: Mapping[str, tuple[str, list[bool]]]) -> list[str]:
    """Cases right in some repeats and wrong in others."""
    return [cid for cid, (_, v) in verdicts.items() if any(v) and not all(v)]


def summarize(
    session: Session, runs: Sequence[Run], *, order: Mapping[str, Any] | None = None
) -> RepeatSummary:
    """pass@k, pass^k and flaky cases of the scored repeats ``runs`` (k = their number)."""
    tags = [repeat_tag(r.options) for r in runs]
    first = tags[0]
    verdicts = case_verdicts(session, [r.id for r in runs])
    k = len(runs)
    at = [pass_at_k(len(v), sum(v), min(k, len(v))) for _, v in verdicts.values() if v]
    hat = [pass_hat_k(len(v), sum(v), min(k, len(v))) for _, v in verdicts.values() if v]
    unstable = flaky(verdicts)
    if order is not None:
        unstable.sort(key=lambda cid: order.get(cid, cid))
    else:
        unstable.sort(key=_natural)
    return RepeatSummary(
        group=first.group if first is not None else runs[0].id,
        run_ids=tuple(r.id for r in runs),
        planned=first.of if first is not None else 1,
        seeds=tuple(t.seed if t is not None else None for t in tags),
        cases=len(verdicts),
        pass_at_k=sum(at) / len(at) if at else 0.0,
        pass_hat_k=sum(hat) / len(hat) if hat else 0.0,
        flaky=tuple(unstable),
    )


def _natural(case_id: str) -> list[tuple[int, int | str]]:
    """Sort key that puts ``simple_2`` before ``simple_10``."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", case_id)]


def _mean_cell(cells: Sequence[Score]) -> Score:
    """The mean of one score over the repeats; BFCL's value (missing members count 0)."""
    mean, interval = mean_interval([c.accuracy for c in cells])
    n = max(c.n for c in cells)
    ran = all(c.ran for c in cells)
    correct = round(mean * n) if ran else 0
    return Score(mean, ran, n, correct, sum(c.errors for c in cells), None, interval)


def merged_row(rows: Sequence[RunRow], summary: RepeatSummary) -> RunRow:
    """One leaderboard row for a repeat group: every score the mean over the repeats."""
    head = rows[0]

    def merge(pick: Any) -> dict[str, Score]:
        names = list(dict.fromkeys(n for r in rows for n in pick(r)))
        return {n: _mean_cell([pick(r).get(n, Score(0.0, False)) for r in rows]) for n in names}

    return RunRow(
        run_id=head.run_id,
        model_key=head.model_key,
        display_name=head.display_name,
        suite_name=head.suite_name,
        suite_version=head.suite_version,
        mode=head.mode,
        status=head.status,
        label=head.label,
        created_at=head.created_at,
        categories=merge(lambda r: r.categories),
        sections=merge(lambda r: r.sections),
        latency=head.latency,
        model_info=head.model_info,
        repeats=summary,
        web=summed([r.web for r in rows]),
        selection=head.selection,
        case_key=head.case_key,
    )


def collapse_repeats(
    session: Session,
    rows: Iterable[RunRow],
    load: Callable[[list[uuid.UUID]], list[RunRow]],
) -> list[RunRow]:
    """Leaderboard rows with the scored repeats of each group merged into one row.

    A group of which only some repeats are among ``rows`` (``--latest-per-model``) gets
    its other scored repeats read with ``load``.
    """
    groups: dict[uuid.UUID, list[tuple[int, RunRow]]] = {}
    out: list[RunRow] = []
    for row in rows:
        if row.repeat_group is None:
            out.append(row)
        else:
            groups.setdefault(row.repeat_group, []).append((row.repeat_index, row))
    for members in groups.values():
        _, runs = group_runs(session, members[0][1].run_id)
        scored = {r.id for r in runs} & set(scored_ids(session, [r.id for r in runs]))
        runs = [r for r in runs if r.id in scored]
        have = {row.run_id: row for _, row in members}
        missing = [r.id for r in runs if r.id not in have]
        have.update((row.run_id, row) for row in load(missing) if missing)
        ordered = [have[r.id] for r in runs if r.id in have]
        out.append(merged_row(ordered, summarize(session, runs)))
    return out


def scored_ids(session: Session, run_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The runs among ``run_ids`` that have scores."""
    return list(
        session.scalars(select(RunScore.run_id).where(RunScore.run_id.in_(run_ids)).distinct())
    )
