"""Queries of the results explorer (``farm ui``): runs, progress, shards and workers.

Runs with filters, live progress, a run's shards, workers and serving details (its failed
cases by kind are in :mod:`farm.report.cases`).

Every function takes a session and returns typed rows; the web views only render them.
Counts of a scored run come from ``run_scores``; those of a run still in progress from
``results`` (indexed by run).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from farm.db.base import utcnow
from farm.db.lookup import resolve_run_id
from farm.db.models import Model, Result, Run, RunScore, Shard, Suite
from farm.report.latency import tune_for_reports

#: Seconds of results behind the live rate of a running run.
RATE_WINDOW_S = 60.0


@dataclass(frozen=True)
class RunSummary:
    """One run in the runs list: what it is and how far it got.

    Attributes:
        done: Cases with a result; ``errors`` of those failed inference; ``correct`` valid.
    """

    run_id: uuid.UUID
    model_key: str
    display_name: str
    suite: str
    mode: str
    source: str
    status: str
    label: str | None
    n_cases: int
    done: int
    errors: int
    correct: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    categories: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)
    farm_version: str = ""

    @property
    def short_id(self) -> str:
        """The first 8 hex digits of the run id."""
        return self.run_id.hex[:8]

    @property
    def fraction(self) -> float:
        """Share of the cases done, 0..1."""
        return min(1.0, self.done / self.n_cases) if self.n_cases else 0.0

    @property
    def live(self) -> bool:
        """Whether the run may still make progress (pending, running or stalled)."""
        return self.status not in ("done", "cancelled")


@dataclass(frozen=True)
class Progress:
    """Where a run stands now.

    Attributes:
        rate: Cases per second over the last :data:`RATE_WINDOW_S` seconds (or since the
            start, if shorter); None before any result.
        eta_s: Seconds to the last case at that rate; None when unknown or finished.
    """

    run_id: uuid.UUID
    status: str
    n_cases: int
    done: int
    errors: int
    correct: int
    rate: float | None
    eta_s: float | None

    def as_json(self) -> dict[str, Any]:
        """The progress as JSON-ready data (the live pages poll it)."""
        return {
            "run_id": str(self.run_id),
            "status": self.status,
            "n_cases": self.n_cases,
            "done": self.done,
            "errors": self.errors,
            "correct": self.correct,
            "rate": self.rate,
            "eta_s": self.eta_s,
            "finished": self.status in ("done", "cancelled"),
        }


@dataclass(frozen=True)
class ShardRow:
    """One shard of a run."""

    shard_no: int
    cases: int
    status: str
    attempts: int
    lease_owner: str | None
    lease_expires_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class WorkerRow:
    """One worker's share of a run (from the results it wrote)."""

    worker: str
    endpoint: str | None
    cases: int
    errors: int
    mean_latency_s: float | None
    last_result_at: datetime | None


def _run_columns() -> Any:  # a Select of (Run, display name, suite name, version)
    return (
        select(Run, Model.display_name, Suite.name, Suite.version)
        .join(Model, Model.key == Run.model_key)
        .join(Suite, Suite.id == Run.suite_id)
    )


def _filtered(
    query: Any, model: str | None, status: str | None, suite: str | None, label: str | None
) -> Any:
    if model:
        pattern = f"%{model}%"
        query = query.where(or_(Run.model_key.ilike(pattern), Model.display_name.ilike(pattern)))
    if status:
        query = query.where(Run.status == status)
    if suite:
        name, _, version = suite.partition("@")
        query = query.where(Suite.name == name)
        if version:
            query = query.where(Suite.version == version)
    if label:
        query = query.where(Run.label.ilike(f"%{label}%"))
    return query


def list_runs(
    session: Session,
    *,
    model: str | None = None,
    status: str | None = None,
    suite: str | None = None,
    label: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RunSummary], int]:
    """Runs newest first, filtered, one page of them; and how many match in all.

    Args:
        session: An open session.
        model: Part of the model key or display name (case-insensitive).
        status: ``pending``, ``running``, ``stalled``, ``done`` or ``cancelled``.
        suite: ``name`` or ``name@version``.
        label: Part of the label (case-insensitive).
        limit: Runs per page.
        offset: Runs skipped before the page.
    """
    tune_for_reports(session)
    query = _filtered(_run_columns(), model, status, suite, label)
    total = session.scalar(
        _filtered(
            select(func.count()).select_from(Run).join(Model).join(Suite),
            model,
            status,
            suite,
            label,
        )
    )
    page = session.execute(
        query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)
    ).all()
    counts = run_counts(session, [r[0].id for r in page])
    return [_summary(r[0], r[1], r[2], r[3], counts.get(r[0].id, (0, 0, 0))) for r in page], int(
        total or 0
    )


def _summary(
    run: Run, display: str, suite: str, version: str, counts: tuple[int, int, int]
) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        model_key=run.model_key,
        display_name=display,
        suite=f"{suite}@{version}",
        mode=run.mode,
        source=run.source,
        status=run.status,
        label=run.label,
        n_cases=run.n_cases,
        done=counts[0],
        errors=counts[1],
        correct=counts[2],
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        categories=list(run.categories or []),
        options=dict(run.options or {}),
        generation=dict(run.generation or {}),
        farm_version=run.farm_version,
    )


def run_counts(
    session: Session, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """``(done, errors, correct)`` per run: from ``run_scores`` if scored, else ``results``."""
    if not run_ids:
        return {}
    scored = session.execute(
        select(
            RunScore.run_id,
            func.sum(RunScore.n),
            func.sum(RunScore.errors),
            func.sum(RunScore.correct),
        )
        .where(RunScore.run_id.in_(run_ids), RunScore.kind == "category")
        .group_by(RunScore.run_id)
    ).all()
    out = {rid: (int(n or 0), int(e or 0), int(c or 0)) for rid, n, e, c in scored}
    rest = [rid for rid in run_ids if rid not in out]
    if rest:
        live = session.execute(
            select(
                Result.run_id,
                func.count(),
                func.sum(case((Result.inference_error.is_not(None), 1), else_=0)),
                func.sum(case((Result.valid.is_(True), 1), else_=0)),
            )
            .where(Result.run_id.in_(rest))
            .group_by(Result.run_id)
        ).all()
        out.update({rid: (int(n), int(e or 0), int(c or 0)) for rid, n, e, c in live})
    return out


def run_summary(session: Session, ref: uuid.UUID | str) -> RunSummary:
    """One run by id, id prefix or label.

    Raises:
        RunError: no run, or several, match ``ref``.
    """
    run_id = resolve_run_id(session, ref)
    run, display, name, version = session.execute(_run_columns().where(Run.id == run_id)).one()
    return _summary(
        run, display, name, version, run_counts(session, [run_id]).get(run_id, (0, 0, 0))
    )


def progress(session: Session, ref: uuid.UUID | str) -> Progress:
    """A run's progress, with its live rate and estimated time to the end.

    Raises:
        RunError: no run, or several, match ``ref``.
    """
    run_id = resolve_run_id(session, ref)
    run = session.get(Run, run_id)
    assert run is not None
    done, errors, correct = run_counts(session, [run_id]).get(run_id, (0, 0, 0))
    now = utcnow()
    rate: float | None = None
    eta: float | None = None
    if run.status not in ("done", "cancelled") and done:
        since = now - timedelta(seconds=RATE_WINDOW_S)
        start = run.started_at or run.created_at
        window = min(RATE_WINDOW_S, max((now - start).total_seconds(), 1e-3))
        recent = session.scalar(
            select(func.count()).where(Result.run_id == run_id, Result.created_at >= since)
        )
        rate = (recent or 0) / window
        if rate > 0:
            eta = max(0, run.n_cases - done) / rate
    return Progress(run_id, run.status, run.n_cases, done, errors, correct, rate, eta)


def shards(session: Session, run_id: uuid.UUID) -> list[ShardRow]:
    """A run's shards in order."""
    rows = session.scalars(select(Shard).where(Shard.run_id == run_id).order_by(Shard.shard_no))
    return [
        ShardRow(
            s.shard_no,
            len(s.case_ids or []),
            s.status,
            s.attempts,
            s.lease_owner,
            s.lease_expires_at,
            s.updated_at,
        )
        for s in rows
    ]


def workers(session: Session, run_id: uuid.UUID) -> list[WorkerRow]:
    """The workers (and endpoints) that wrote a run's results, busiest first."""
    rows = session.execute(
        select(
            Result.worker,
            Result.endpoint,
            func.count(),
            func.sum(case((Result.inference_error.is_not(None), 1), else_=0)),
            func.avg(Result.latency_s),
            func.max(Result.created_at),
        )
        .where(Result.run_id == run_id)
        .group_by(Result.worker, Result.endpoint)
        .order_by(func.count().desc())
    ).all()
    return [
        WorkerRow(
            worker or "(not recorded)",
            endpoint,
            int(n),
            int(e or 0),
            None if lat is None else float(lat),
            last,
        )
        for worker, endpoint, n, e, lat, last in rows
    ]


def endpoints_of(session: Session, run_id: uuid.UUID) -> list[str]:
    """The distinct endpoints that answered the run's requests."""
    query = (
        select(Result.endpoint)
        .where(Result.run_id == run_id, Result.endpoint.is_not(None))
        .distinct()
        .limit(20)
    )
    return sorted(e for e in session.scalars(query) if e)


def model_spec(session: Session, model_key: str) -> dict[str, Any]:
    """The stored model spec (backend, mode, serving settings; never secrets)."""
    model = session.get(Model, model_key)
    if model is None:
        return {}
    return {"backend": model.backend, "mode": model.mode, **dict(model.spec or {})}
