"""The run ledger in the database: shard leases, idempotent result writes, completion.

Every function takes the session explicitly and works on both PostgreSQL and SQLite.
Completion is counted in the database: the transaction that writes a shard's results
locks the run row, counts the run's results and, when every planned case has one,
finalises the run (status and ``run_scores``) in the same transaction. No chords.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from farm import failures
from farm.db.base import utcnow
from farm.db.lookup import resolve_run_id
from farm.db.models import Result, Run, Shard
from farm.errors import RunError
from farm.result_row import COLUMNS, SCORER_ERROR, ResultRow

#: Run statuses. ``pending``: planned, nothing done yet; ``running``: some shard started;
#: ``done``: every case has a result and the scores are written; ``cancelled``: stopped
#: by the user (``farm resume`` continues it).
RUN_PENDING, RUN_RUNNING, RUN_DONE, RUN_CANCELLED = "pending", "running", "done", "cancelled"
#: ``incomplete``: the run ended with cases that have no scored result (failed inferences,
#: scorer errors, or cases never run because its endpoint was dead); its scores count those
#: as wrong and are marked so. ``farm resume`` re-runs them.
RUN_INCOMPLETE = "incomplete"
#: Runs that will make no more progress on their own.
ENDED_RUN = (RUN_DONE, RUN_INCOMPLETE, RUN_CANCELLED)
#: ``stalled``: a started run that no worker has worked on for :data:`STALL_LEASES` lease
#: periods (its workers vanished); the first shard a worker claims makes it ``running``
#: again, and ``farm resume`` re-enqueues it.
RUN_STALLED = "stalled"
#: Runs whose shards may still be worked on.
ACTIVE_RUN = (RUN_PENDING, RUN_RUNNING, RUN_STALLED)
#: Lease periods without a live lease or a new result after which a running run is stalled.
STALL_LEASES = 3

#: Shard statuses. ``waiting``: the shard waits for its chain shard (``waits_on``); the
#: chain shard's completion makes it ``queued`` and sends it (see :mod:`farm.chains`).
SHARD_QUEUED, SHARD_RUNNING, SHARD_DONE = "queued", "running", "done"
SHARD_CANCELLED, SHARD_FAILED, SHARD_WAITING = "cancelled", "failed", "waiting"

#: Deliveries of one shard before it is given up (a poison shard that kills its worker).
MAX_DELIVERIES = failures.MAX_DELIVERIES

#: Columns of ``results`` a shard writes, besides run_id/case_id.
RESULT_COLUMNS = COLUMNS


@dataclass(frozen=True)
class Claim:
    """The answer to a lease request.

    Attributes:
        granted: whether this worker now holds the shard's lease.
        reason: why not, when not: ``done``, ``leased``, ``cancelled``, ``failed``,
            ``waiting`` (its chain is not done), ``unknown``.
        attempts: deliveries of the shard counting this one.
    """

    granted: bool
    reason: str = ""
    attempts: int = 0


def insert_for(session: Session) -> Any:
    """The dialect's ``insert`` construct (with ``on_conflict_do_nothing``)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RunError(f"unsupported database dialect {name!r}: use PostgreSQL or SQLite")


def get_run(session: Session, run_id: uuid.UUID | str, *, lock: bool = False) -> Run:
    """The run with ``run_id`` (a uuid, a unique id prefix of 4+ characters, or a label)."""
    rid = resolve_run_id(session, run_id)
    stmt = select(Run).where(Run.id == rid)
    if lock:
        stmt = stmt.with_for_update()
    run = session.scalars(stmt).one_or_none()
    if run is None:
        raise RunError(f"no run {run_id}")
    return run


def claim_shard(
    session: Session, run_id: uuid.UUID, shard_no: int, *, owner: str, lease_seconds: int
) -> Claim:
    """Take the lease of a shard for ``owner``, counting one more delivery.

    The lease is granted when the shard is not done (nor waiting for its chain) and its
    lease is free, expired, or already held by ``owner``. A shard delivered more than
    :data:`MAX_DELIVERIES` times is marked failed instead (its remaining cases are recorded
    as errors by the caller).
    """
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one_or_none()
    if run is None:
        return Claim(False, "unknown")
    if run.status == RUN_CANCELLED:
        return Claim(False, "cancelled")
    shard = session.get(Shard, (run_id, shard_no), with_for_update=True)
    if shard is None:
        return Claim(False, "unknown")
    if shard.status in (SHARD_DONE, SHARD_FAILED, SHARD_WAITING):
        return Claim(False, shard.status, shard.attempts)
    now = utcnow()
    if (
        shard.status == SHARD_RUNNING
        and shard.lease_owner != owner
        and shard.lease_expires_at is not None
        and _aware(shard.lease_expires_at) > now
    ):
        return Claim(False, "leased", shard.attempts)
    shard.attempts += 1
    if shard.attempts > MAX_DELIVERIES:
        shard.status = SHARD_FAILED
        shard.lease_owner = None
        shard.lease_expires_at = None
        return Claim(False, "failed", shard.attempts)
    shard.status = SHARD_RUNNING
    shard.lease_owner = owner
    shard.lease_expires_at = now + timedelta(seconds=lease_seconds)
    if run.status in (RUN_PENDING, RUN_STALLED):
        run.status = RUN_RUNNING
        run.started_at = run.started_at or now
    return Claim(True, "", shard.attempts)


def renew_lease(
    session: Session, run_id: uuid.UUID, shard_no: int, *, owner: str, lease_seconds: int
) -> str:
    """Extend ``owner``'s lease and return the run's status (to notice a cancel)."""
    session.execute(
        update(Shard)
        .where(Shard.run_id == run_id, Shard.shard_no == shard_no, Shard.lease_owner == owner)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    status = session.scalar(select(Run.status).where(Run.id == run_id))
    return status or RUN_CANCELLED


def done_case_ids(session: Session, run_id: uuid.UUID, case_ids: Sequence[str]) -> set[str]:
    """Which of ``case_ids`` already have a result in the run."""
    if not case_ids:
        return set()
    rows = session.scalars(
        select(Result.case_id).where(Result.run_id == run_id, Result.case_id.in_(case_ids))
    )
    return set(rows)


def write_shard_results(
    session: Session,
    run_id: uuid.UUID,
    shard_no: int,
    rows: Sequence[ResultRow],
    *,
    owner: str,
    shard_status: str = SHARD_DONE,
) -> bool:
    """Write a shard's results in the caller's transaction; finalise the run if complete.

    Rows already present (a redelivered shard) are left alone: ``INSERT ... ON CONFLICT
    DO NOTHING``. The run row is locked first, so concurrent shards of one run count each
    other's results and exactly one of them finalises. Returns whether this call finalised
    the run.
    """
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one()
    if rows:
        now = utcnow()
        payload = [{"run_id": run_id, **row.columns(), "created_at": now} for row in _dedupe(rows)]
        stmt = insert_for(session)(Result).on_conflict_do_nothing(
            index_elements=["run_id", "case_id"]
        )
        session.execute(stmt, payload)
    shard = session.get(Shard, (run_id, shard_no))
    if shard is not None and shard.status != SHARD_DONE:
        if shard.lease_owner in (owner, None) or shard_status == SHARD_DONE:
            shard.status = shard_status
            shard.lease_owner = None
            shard.lease_expires_at = None
    return maybe_finalise(session, run)


def maybe_finalise(session: Session, run: Run) -> bool:
    """Finalise ``run`` (locked by the caller) when every planned case has a result.

    The run ends ``done`` when every result is scored, else ``incomplete``.
    """
    if run.status in (RUN_DONE, RUN_INCOMPLETE):
        return False
    count, unscored = session.execute(
        select(func.count(), func.count().filter(Result.valid.is_(None))).where(
            Result.run_id == run.id
        )
    ).one()
    if (count or 0) < run.n_cases:
        return False
    end_run(session, run, RUN_INCOMPLETE if unscored else RUN_DONE)
    return True


def end_run(session: Session, run: Run, status: str) -> None:
    """Write ``run``'s scores and end it ``done`` or ``incomplete`` (locked by the caller).

    An ``incomplete`` run may lack results (its endpoint died): its unfinished shards are
    cancelled, so no worker takes them before ``farm resume``.
    """
    from farm.finalize import write_run_scores

    write_run_scores(session, run.id)
    run.status = status
    run.finished_at = utcnow()
    if run.started_at is None:
        run.started_at = run.finished_at
    if status == RUN_INCOMPLETE:
        session.execute(
            update(Shard)
            .where(
                Shard.run_id == run.id,
                Shard.status.in_((SHARD_RUNNING, SHARD_QUEUED, SHARD_WAITING)),
            )
            .values(status=SHARD_CANCELLED, lease_owner=None, lease_expires_at=None)
        )
        return
    session.execute(
        update(Shard)
        .where(Shard.run_id == run.id, Shard.status != SHARD_DONE)
        .values(status=SHARD_DONE, lease_owner=None, lease_expires_at=None)
    )


def release_shard(
    session: Session, run_id: uuid.UUID, shard_no: int, *, owner: str, status: str
) -> None:
    """Give up ``owner``'s lease, leaving the shard in ``status`` (e.g. cancelled)."""
    session.execute(
        update(Shard)
        .where(Shard.run_id == run_id, Shard.shard_no == shard_no, Shard.lease_owner == owner)
        .values(status=status, lease_owner=None, lease_expires_at=None)
    )


def stale_shards(
    session: Session,
    *,
    lease_seconds: int,
    lost_after: int = failures.LOST_MESSAGE_SECONDS,
    quiet_models: Sequence[str] = (),
) -> list[Shard]:
    """Shards of active runs that need a new broker message, locked for the caller.

    Those are running shards whose lease expired (their worker died), queued shards
    untouched for ``lost_after`` seconds (their message may have been lost, e.g. with a
    Redis restart without persistence; a duplicate message is harmless), and queued shards
    untouched for a lease period whose model's queue is empty (``quiet_models``: their
    message is gone, lost or taken by a worker that died before claiming it).
    """
    now = utcnow()
    stmt = (
        select(Shard)
        .join(Run, Run.id == Shard.run_id)
        .where(
            Run.status.in_(ACTIVE_RUN),
            or_(
                (Shard.status == SHARD_RUNNING) & (Shard.lease_expires_at < now),
                (Shard.status == SHARD_QUEUED)
                & (Shard.updated_at < now - timedelta(seconds=lost_after)),
                (Shard.status == SHARD_QUEUED)
                & (Shard.updated_at < now - timedelta(seconds=lease_seconds))
                & Run.model_key.in_(list(quiet_models)),
            ),
        )
        .order_by(Shard.run_id, Shard.shard_no)
        .with_for_update(skip_locked=True, of=Shard)
    )
    return list(session.scalars(stmt))


def waiting_models(session: Session, *, older_than: int) -> list[str]:
    """Models with queued shards of active runs untouched for ``older_than`` seconds."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    return list(
        session.scalars(
            select(Run.model_key)
            .join(Shard, Shard.run_id == Run.id)
            .where(
                Run.status.in_(ACTIVE_RUN),
                Shard.status == SHARD_QUEUED,
                Shard.updated_at < cutoff,
            )
            .distinct()
        )
    )


def mark_stalled(
    session: Session, *, stall_seconds: float, now: datetime | None = None
) -> list[uuid.UUID]:
    """Mark ``running`` runs whose workers vanished as ``stalled``; return their ids.

    A run is stalled when it started at least ``stall_seconds`` ago, none of its shards
    holds a live lease, and it got no result in the last ``stall_seconds``. Runs never
    started (``pending``) are left alone: they wait for a first worker by design.
    """
    moment = now or utcnow()
    cutoff = moment - timedelta(seconds=stall_seconds)
    live_lease = (
        select(Shard.shard_no)
        .where(
            Shard.run_id == Run.id,
            Shard.status == SHARD_RUNNING,
            Shard.lease_expires_at > moment,
        )
        .exists()
    )
    recent_result = (
        select(Result.case_id).where(Result.run_id == Run.id, Result.created_at >= cutoff).exists()
    )
    ids = list(
        session.scalars(
            select(Run.id).where(
                Run.status == RUN_RUNNING,
                Run.started_at < cutoff,
                ~live_lease,
                ~recent_result,
            )
        )
    )
    if ids:
        session.execute(
            update(Run).where(Run.id.in_(ids), Run.status == RUN_RUNNING).values(status=RUN_STALLED)
        )
    return ids


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dedupe(rows: Sequence[ResultRow]) -> list[ResultRow]:
    seen: dict[str, ResultRow] = {}
    for row in rows:
        seen.setdefault(row.case_id, row)
    return list(seen.values())


def unscored_filter() -> Any:
    """SQL condition of result rows without a verdict (model and scorer errors)."""
    return Result.valid.is_(None)


def scorer_error_filter() -> Any:
    """SQL condition of scorer-error rows."""
    return Result.error_type == SCORER_ERROR
