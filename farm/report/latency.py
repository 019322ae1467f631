"""Per-run latency, token and cost summaries (BFCL section 4.4), stored in ``run_stats``.

:func:`write_run_stats` summarises a run's ``results`` once, when the run is scored
(:func:`farm.finalize.write_run_scores` calls it). The leaderboard
(:func:`farm.report.queries.load_runs`) reads the stored summaries and turns them into
:class:`~farm.report.rows.Latency` cells with :func:`latency_cell`; a run without one
(scored before the table existed on SQLite; migration 0004 backfills PostgreSQL) is
summarised from ``results`` on the fly with :func:`summarize_results`.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from farm.db.models import Result, RunStats
from farm.formats.reply import TRUNCATED_ERROR
from farm.report.rows import Latency

#: BFCL's estimate of self-hosted cost: 8xH100 dollars per hour over 100 parallel requests.
GPU_DOLLARS_PER_HOUR = 23.92
GPU_PARALLEL_REQUESTS = 100

#: ``(latency_n, mean, std, p95, total_s, input_tokens, output_tokens)`` of a run.
Summary = tuple[int, float | None, float | None, float | None, float, int, int, int]
EMPTY: Summary = (0, None, None, None, 0.0, 0, 0, 0)


def tune_for_reports(session: Session) -> None:
    """On PostgreSQL, settings for the rest of this transaction that suit report queries.

    They are short analytical queries: JIT compilation costs more than it saves, and the
    per-run sorts (percentiles, joins of two runs) should stay in memory.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default method)."""
    pos = (len(sorted_values) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def summarize_results(session: Session, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Summary]:
    """Summaries computed from ``results`` (exact percentiles); runs without results omitted.

    PostgreSQL aggregates in SQL (``percentile_cont`` is numpy's linear method); SQLite
    reads the latencies and computes the same figures in Python.
    """
    if not run_ids:
        return {}
    out: dict[uuid.UUID, Summary] = {}
    if session.get_bind().dialect.name == "postgresql":
        positive = Result.latency_s > 0
        query = (
            select(
                Result.run_id,
                func.count(Result.latency_s).filter(positive),
                func.avg(Result.latency_s).filter(positive),
                func.stddev_samp(Result.latency_s).filter(positive),
                func.percentile_cont(0.95).within_group(Result.latency_s).filter(positive),
                func.sum(Result.latency_s).filter(positive),
                func.sum(Result.input_tokens),
                func.sum(Result.output_tokens),
                func.count().filter(Result.error_type == TRUNCATED_ERROR),
            )
            .where(Result.run_id.in_(run_ids))
            .group_by(Result.run_id)
        )
        for rid, count, mean, std, p95, total, tin, tout, cut in session.execute(query):
            out[rid] = (
                int(count),
                None if mean is None else float(mean),
                None if std is None else float(std),
                None if p95 is None else float(p95),
                float(total or 0.0),
                int(tin or 0),
                int(tout or 0),
                int(cut or 0),
            )
        return out
    values: dict[uuid.UUID, list[float]] = defaultdict(list)
    sums: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = select(
        Result.run_id,
        Result.latency_s,
        Result.input_tokens,
        Result.output_tokens,
        Result.error_type,
    )
    for rid, latency, tin, tout, kind in session.execute(rows.where(Result.run_id.in_(run_ids))):
        if latency is not None and latency > 0:
            values[rid].append(float(latency))
        sums[rid][0] += tin or 0
        sums[rid][1] += tout or 0
        sums[rid][2] += kind == TRUNCATED_ERROR
    for rid, (tin, tout, cut) in sums.items():
        vals = sorted(values.get(rid, ()))
        if not vals:
            out[rid] = (0, None, None, None, 0.0, tin, tout, cut)
            continue
        std = statistics.stdev(vals) if len(vals) > 1 else None
        mean = statistics.mean(vals)
        out[rid] = (len(vals), mean, std, percentile(vals, 95), sum(vals), tin, tout, cut)
    return out


def write_run_stats(session: Session, run_id: uuid.UUID) -> None:
    """Replace the run's ``run_stats`` row with a fresh summary of its results."""
    count, mean, std, p95, total, tin, tout, cut = summarize_results(session, [run_id]).get(
        run_id, EMPTY
    )
    session.execute(delete(RunStats).where(RunStats.run_id == run_id))
    session.add(
        RunStats(
            run_id=run_id,
            latency_n=count,
            latency_mean=mean,
            latency_std=std,
            latency_p95=p95,
            latency_total_s=total,
            input_tokens=tin,
            output_tokens=tout,
            truncated=cut,
        )
    )


def _cost(
    spec: dict[str, object], total_s: float, tokens_in: int, tokens_out: int, count: int
) -> float | None:
    price_in, price_out = spec.get("input_price"), spec.get("output_price")
    if isinstance(price_in, int | float) and isinstance(price_out, int | float):
        if tokens_in and tokens_out:
            return round(tokens_in * price_in / 1e6 + tokens_out * price_out / 1e6, 2)
        return None
    if count:
        return round(total_s / 3600 * GPU_DOLLARS_PER_HOUR / GPU_PARALLEL_REQUESTS, 2)
    return None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def latency_cell(summary: Sequence[Any], spec: dict[str, object]) -> Latency:
    """A :class:`Latency` from a stored or computed :data:`Summary`, rounded as BFCL shows it."""
    count, mean, std, p95, total, tin, tout, cut = summary
    total_s = float(total or 0.0)
    return Latency(
        count=int(count),
        mean=_rounded(mean),
        std=_rounded(std),
        p95=_rounded(p95),
        total_s=total_s,
        input_tokens=int(tin),
        output_tokens=int(tout),
        cost=_cost(spec, total_s, int(tin), int(tout), int(count)),
        truncated=int(cut or 0),
    )


#: The ``run_stats`` columns in :data:`Summary` order.
STATS_COLUMNS = (
    RunStats.latency_n,
    RunStats.latency_mean,
    RunStats.latency_std,
    RunStats.latency_p95,
    RunStats.latency_total_s,
    RunStats.input_tokens,
    RunStats.output_tokens,
    RunStats.truncated,
)
