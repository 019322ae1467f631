"""Run control: status, listing, cancel, resume and the sweep of expired leases.

Each function takes what it needs explicitly; the CLI renders what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, delete, func, select, update
from sqlalchemy.orm import Session

from farm import ledger
from farm.agentic.web.usage import WebTotals, web_totals
from farm.chains import Waiting, waiting_on
from farm.config import Settings
from farm.db.base import utcnow
from farm.db.engine import session_scope
from farm.db.models import Result, Run, RunScore, Shard
from farm.errors import RunError
from farm.shardspec import ShardSpec


@dataclass(frozen=True)
class ScoreRow:
    """One row of ``run_scores``."""

    category: str
    kind: str
    n: int
    correct: int
    errors: int
    accuracy: float
    ran: bool


@dataclass(frozen=True)
class RunStatus:
    """Where a run stands.

    Attributes:
        done: cases with a result; ``errors``: of those, failed inferences;
        ``correct``: of those, valid verdicts. ``shards`` counts shards by status.
        scorer_errors: cases whose scorer raised (no verdict, apart from ``errors``).
        error_kinds: failed inferences by kind (``endpoint_transient``: 12, ...), with
            detail only.
        web: web-search usage summed over the shards (searches, fetches, replay misses,
            cost; :mod:`farm.agentic.web.usage`), with detail only; None if it made none.
        waiting: the chains that ``waiting`` shards wait for, with detail only.
    """

    run_id: uuid.UUID
    model_key: str
    mode: str
    source: str
    status: str
    n_cases: int
    done: int
    errors: int
    correct: int
    categories: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    label: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    shards: dict[str, int] = field(default_factory=dict)
    scores: list[ScoreRow] = field(default_factory=list)
    scorer_errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    web: WebTotals | None = None
    waiting: list[Waiting] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """Whether the run will make no more progress on its own."""
        return self.status in ledger.ENDED_RUN

    @property
    def unscored(self) -> int:
        """Planned cases without a verdict: failed, scorer errors, never run."""
        return self.n_cases - self.done + self.errors_unscored

    @property
    def errors_unscored(self) -> int:
        """Result rows without a verdict (imported BFCL errors carry BFCL's verdict)."""
        return self.errors + self.scorer_errors if self.source != "evaluate" else 0

    def incomplete_line(self) -> str:
        """One line saying why the run is incomplete and what to do."""
        kinds = dict(self.error_kinds)
        if self.scorer_errors:
            kinds["scorer_error"] = self.scorer_errors
        missing = self.n_cases - self.done
        if missing:
            kinds["not run"] = missing
        shown = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda i: -i[1]))
        return (
            f"run {self.run_id} incomplete: {self.unscored} of {self.n_cases} cases have no "
            f"scored result ({shown or 'unknown'}); scores count them as wrong; "
            f"'farm resume {self.run_id}' re-runs them"
        )


def _counts(
    session: Session, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int, int]]:
    if not run_ids:
        return {}
    rows = session.execute(
        select(
            Result.run_id,
            func.count(),
            func.sum(case((Result.inference_error.is_not(None), 1), else_=0)),
            func.sum(case((Result.valid.is_(True), 1), else_=0)),
        )
        .where(Result.run_id.in_(run_ids))
        .group_by(Result.run_id)
    ).all()
    return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}


def _status(session: Session, run: Run, *, detail: bool) -> RunStatus:
    done, errors, correct = _counts(session, [run.id]).get(run.id, (0, 0, 0))
    shards: dict[str, int] = {}
    scores: list[ScoreRow] = []
    kinds: dict[str, int] = {}
    scorer_errors = 0
    if detail:
        scorer_errors = int(
            session.scalar(
                select(func.count()).where(Result.run_id == run.id, ledger.scorer_error_filter())
            )
            or 0
        )
        kinds = {
            str(kind): int(n)
            for kind, n in session.execute(
                select(Result.inference_error, func.count())
                .where(Result.run_id == run.id, Result.inference_error.is_not(None))
                .group_by(Result.inference_error)
            ).all()
        }
        shards = {
            status: int(n)
            for status, n in session.execute(
                select(Shard.status, func.count())
                .where(Shard.run_id == run.id)
                .group_by(Shard.status)
            ).all()
        }
        scores = [
            ScoreRow(s.category, s.kind, s.n, s.correct, s.errors, s.accuracy, s.ran)
            for s in session.scalars(
                select(RunScore)
                .where(RunScore.run_id == run.id)
                .order_by(RunScore.kind, RunScore.category)
            )
        ]
    web = web_totals(session, [run.id]).get(run.id) if detail else None
    waiting = waiting_on(session, run.id) if shards.get(ledger.SHARD_WAITING) else []
    status = _make_status(run, done, errors, correct, shards, scores)
    return replace(status, scorer_errors=scorer_errors, error_kinds=kinds, web=web, waiting=waiting)


def _make_status(
    run: Run,
    done: int,
    errors: int,
    correct: int,
    shards: dict[str, int],
    scores: list[ScoreRow],
) -> RunStatus:
    return RunStatus(
        run_id=run.id,
        model_key=run.model_key,
        mode=run.mode,
        source=run.source,
        status=run.status,
        n_cases=run.n_cases,
        done=done,
        errors=errors,
        correct=correct,
        categories=list(run.categories),
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        label=run.label,
        options=dict(run.options or {}),
        shards=shards,
        scores=scores,
    )


def run_status(session: Session, run_id: uuid.UUID | str) -> RunStatus:
    """The status of one run, with shard counts and scores.

    Raises:
        RunError: for an unknown run id.
    """
    return _status(session, ledger.get_run(session, run_id), detail=True)


def latest_run_id(session: Session) -> uuid.UUID:
    """The most recently created run.

    Raises:
        RunError: when there is no run yet.
    """
    rid = session.scalar(select(Run.id).order_by(Run.created_at.desc()).limit(1))
    if rid is None:
        raise RunError("no runs yet: start one with 'farm submit' or 'farm run'")
    return rid


def list_runs(
    session: Session, *, model: str | None = None, status: str | None = None, limit: int = 20
) -> list[RunStatus]:
    """Runs, newest first, optionally of one model and/or in one status."""
    stmt = select(Run).order_by(Run.created_at.desc()).limit(limit)
    if model:
        stmt = stmt.where(Run.model_key == model)
    if status:
        stmt = stmt.where(Run.status == status)
    runs = list(session.scalars(stmt))
    counts = _counts(session, [r.id for r in runs])
    return [_make_status(r, *counts.get(r.id, (0, 0, 0)), {}, []) for r in runs]


def cancel_run(session: Session, run_id: uuid.UUID | str) -> RunStatus:
    """Stop a run: no shard starts any more; running shards stop at their next check.

    Results already written are kept; ``farm resume`` continues the run.

    Raises:
        RunError: for an unknown run, or one that already finished.
    """
    run = ledger.get_run(session, run_id, lock=True)
    if run.status in (ledger.RUN_DONE, ledger.RUN_INCOMPLETE):
        raise RunError(f"run {run.id} is already {run.status}")
    if run.status == ledger.RUN_CANCELLED:
        raise RunError(f"run {run.id} is already cancelled")
    run.status = ledger.RUN_CANCELLED
    session.execute(
        update(Shard)
        .where(Shard.run_id == run.id, Shard.status == ledger.SHARD_QUEUED)
        .values(status=ledger.SHARD_CANCELLED)
    )
    session.flush()
    return _status(session, run, detail=True)


def plan_resume(session: Session, run_id: uuid.UUID | str) -> list[ShardSpec]:
    """Reopen a cancelled, stalled or incomplete run; return the shards to enqueue.

    Result rows without a verdict (failed inferences, scorer errors) are deleted, so their
    cases run again. Every shard with a case that has no result goes back to queued (with
    its delivery counter reset), except shards a live worker still holds. Chains: a chain
    shard that is not done goes back to queued when a case still waits for it (it resumes
    after its last stored step), and the shards of its cases wait for it again.

    Raises:
        RunError: for an unknown run, an imported one, or one that is already done.
    """
    from farm.shardspec import spec_of

    run = ledger.get_run(session, run_id, lock=True)
    if run.source == "evaluate":
        raise RunError(f"run {run.id} was imported from result files: nothing to resume")
    if run.status == ledger.RUN_DONE:
        raise RunError(f"run {run.id} is already done: nothing to resume")
    session.execute(delete(Result).where(Result.run_id == run.id, ledger.unscored_filter()))
    done = set(session.scalars(select(Result.case_id).where(Result.run_id == run.id)))
    now = utcnow()
    specs: list[ShardSpec] = []
    shards = list(
        session.scalars(select(Shard).where(Shard.run_id == run.id).order_by(Shard.shard_no))
    )
    needed = {s.waits_on for s in shards if s.waits_on is not None and _missing(s, done)}
    chain_done = {
        s.shard_no for s in shards if s.chain is not None and s.status == ledger.SHARD_DONE
    }
    for shard in shards:
        if shard.chain is not None:
            if shard.status == ledger.SHARD_DONE or shard.shard_no not in needed:
                continue
        elif not _missing(shard, done):
            continue
        elif shard.waits_on is not None and shard.waits_on not in chain_done:
            shard.status = ledger.SHARD_WAITING  # its chain runs again first
            shard.attempts = 0
            shard.lease_owner = None
            shard.lease_expires_at = None
            continue
        held = (
            shard.status == ledger.SHARD_RUNNING
            and shard.lease_expires_at is not None
            and ledger._aware(shard.lease_expires_at) > now
        )
        if held and run.status != ledger.RUN_CANCELLED:
            continue
        shard.status = ledger.SHARD_QUEUED
        shard.attempts = 0
        shard.lease_owner = None
        shard.lease_expires_at = None
        specs.append(spec_of(run, shard))
    run.status = ledger.RUN_RUNNING if run.started_at else ledger.RUN_PENDING
    run.finished_at = None
    session.flush()
    ledger.maybe_finalise(session, run)
    return specs


def _missing(shard: Shard, done: set[str]) -> bool:
    return any(c not in done for c in shard.case_ids)


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: shards re-enqueued and runs finalised."""

    requeued: int = 0
    finalised: int = 0
    stalled: int = 0


def sweep(
    settings: Settings,
    engine: Engine,
    *,
    send: Callable[[Settings, Sequence[ShardSpec]], int] | None = None,
    stall_seconds: float | None = None,
) -> SweepReport:
    """Re-enqueue lost or expired shards, finalise complete runs, mark stalled runs.

    Shards whose lease expired or whose message may be lost (queued a lease period with
    their model's queue empty, or ``FARM_LOST_MESSAGE_SECONDS`` in any case) get a new
    message; runs whose workers vanished are marked stalled
    (:func:`farm.ledger.mark_stalled`).

    ``send`` enqueues shard specs (default: :func:`farm.producer.enqueue`);
    ``stall_seconds`` defaults to :data:`farm.ledger.STALL_LEASES` lease periods. Several
    workers may sweep at once: the shards are locked with SKIP LOCKED and touched, so each
    is re-enqueued once per lease period.
    """
    from farm.producer import enqueue
    from farm.shardspec import spec_of

    specs: list[ShardSpec] = []
    finalised = 0
    quiet_models: list[str] = []
    if settings.broker_url:  # queued shards whose queue is empty lost their message
        from farm.broker import queue_depth

        with session_scope(engine) as session:
            waiting = ledger.waiting_models(session, older_than=settings.lease_seconds)
        quiet_models = [m for m in waiting if queue_depth(settings, m) == 0]
    with session_scope(engine) as session:
        stale = ledger.stale_shards(
            session,
            lease_seconds=settings.lease_seconds,
            lost_after=settings.lost_message_seconds,
            quiet_models=quiet_models,
        )
        runs: dict[uuid.UUID, Run] = {}
        for shard in stale:
            run = runs.get(shard.run_id) or session.get(Run, shard.run_id)
            if run is None:
                continue
            runs[run.id] = run
            shard.status = ledger.SHARD_QUEUED
            shard.lease_owner = None
            shard.lease_expires_at = None
            shard.updated_at = utcnow()
            specs.append(spec_of(run, shard))
    with session_scope(engine) as session:
        for rid in session.scalars(
            select(Run.id).where(
                Run.status.in_(ledger.ACTIVE_RUN),
                ~select(Shard.shard_no)
                .where(
                    Shard.run_id == Run.id,
                    Shard.status.in_((ledger.SHARD_QUEUED, ledger.SHARD_RUNNING)),
                )
                .exists(),
            )
        ).all():
            run = ledger.get_run(session, rid, lock=True)
            finalised += int(ledger.maybe_finalise(session, run))
    with session_scope(engine) as session:
        quiet = stall_seconds or ledger.STALL_LEASES * settings.lease_seconds
        stalled = ledger.mark_stalled(session, stall_seconds=quiet)
    if specs:
        (send or enqueue)(settings, specs)
    return SweepReport(len(specs), finalised, len(stalled))
