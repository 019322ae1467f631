"""Chain shards in the ledger: a finished chain releases the shards that wait for it.

A chain shard (``shards.chain`` set) runs a benchmark's chain (BFCL: a memory scenario's
prerequisite conversations) and stores the state it leaves; the shards of the cases that
start from that state name it in ``waits_on`` and stay ``waiting``. Its end is one
transaction, with the run row locked as every shard write does:

- done: the chain shard becomes ``done`` and its waiting shards ``queued``; the caller sends
  them to the broker (a message lost on the way is re-sent by the sweep, which re-enqueues
  queued shards nobody took: the ledger is the truth, no busy-waiting anywhere);
- failed: each case of its shards that has no result gets an error row
  (``prerequisite_failed``: no verdict, never credit), the shards end ``failed``, and the run
  is finalised if that completes it. ``farm resume`` runs the chain again from its stored
  steps and then the cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from farm import ledger
from farm.db.models import Run, Shard, TestCase
from farm.result_row import PREREQUISITE_FAILED, Failure, failed_row
from farm.shardspec import ShardSpec, spec_of


@dataclass(frozen=True)
class Waiting:
    """Shards waiting for one chain (what ``farm status`` shows).

    Attributes:
        chain: the chain key (``memory_kv:student``).
        chain_shard: the chain shard's number.
        chain_status: the chain shard's status (``queued``, ``running``, ...).
        shards: how many shards wait for it.
    """

    chain: str
    chain_shard: int
    chain_status: str
    shards: int


def _locked(session: Session, run_id: uuid.UUID, shard_no: int) -> tuple[Run, Shard | None]:
    run = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one()
    return run, session.get(Shard, (run_id, shard_no), with_for_update=True)


def waiters(session: Session, run_id: uuid.UUID, chain_no: int) -> list[Shard]:
    """The shards of ``run_id`` that wait for chain shard ``chain_no``, in order."""
    return list(
        session.scalars(
            select(Shard)
            .where(Shard.run_id == run_id, Shard.waits_on == chain_no)
            .order_by(Shard.shard_no)
        )
    )


def release_chain(session: Session, run_id: uuid.UUID, chain_no: int) -> list[ShardSpec]:
    """Mark chain shard ``chain_no`` done and its waiting shards queued; return those.

    A chain already done returns nothing (its shards were released by whoever finished it
    first: each waiting shard is released once).
    """
    run, chain = _locked(session, run_id, chain_no)
    if chain is None or chain.status == ledger.SHARD_DONE:
        return []
    chain.status = ledger.SHARD_DONE
    chain.lease_owner = None
    chain.lease_expires_at = None
    released: list[ShardSpec] = []
    for shard in waiters(session, run_id, chain_no):
        if shard.status == ledger.SHARD_WAITING:
            shard.status = ledger.SHARD_QUEUED
            released.append(spec_of(run, shard))
    return released


def fail_chain(
    session: Session, run_id: uuid.UUID, chain_no: int, message: str, *, worker: str
) -> tuple[int, bool]:
    """Mark chain shard ``chain_no`` failed and give each case waiting for it an error row.

    ``message`` says why (one line). Returns the rows written and whether the run was
    finalised. A chain already done (a second copy of it, after an expired lease, finished
    first) is left as it is.
    """
    run, chain = _locked(session, run_id, chain_no)
    if chain is not None and chain.status == ledger.SHARD_DONE:
        return 0, False  # another copy of it finished: its shards were released
    if chain is not None:
        chain.status = ledger.SHARD_FAILED
        chain.lease_owner = None
        chain.lease_expires_at = None
    failure = Failure(PREREQUISITE_FAILED, message)
    written, finalised = 0, False
    for shard in waiters(session, run_id, chain_no):
        if shard.status in (ledger.SHARD_DONE, ledger.SHARD_FAILED):
            continue
        done = ledger.done_case_ids(session, run_id, shard.case_ids)
        missing = [c for c in shard.case_ids if c not in done]
        categories = _categories(session, run.suite_id, missing)
        rows = [failed_row(c, categories.get(c, ""), failure, worker=worker) for c in missing]
        finalised |= ledger.write_shard_results(
            session, run_id, shard.shard_no, rows, owner=worker, shard_status=ledger.SHARD_FAILED
        )
        written += len(rows)
    return written, finalised


def _categories(session: Session, suite_id: int, case_ids: Sequence[str]) -> dict[str, str]:
    if not case_ids:
        return {}
    rows = session.execute(
        select(TestCase.case_id, TestCase.category).where(
            TestCase.suite_id == suite_id, TestCase.case_id.in_(list(case_ids))
        )
    ).all()
    return {r.case_id: r.category for r in rows}


def waiting_on(session: Session, run_id: uuid.UUID) -> list[Waiting]:
    """The chains that shards of ``run_id`` wait for, by chain shard number."""
    counts: dict[int, int] = {}
    for no in session.scalars(
        select(Shard.waits_on).where(
            Shard.run_id == run_id,
            Shard.status == ledger.SHARD_WAITING,
            Shard.waits_on.is_not(None),
        )
    ):
        if no is not None:
            counts[no] = counts.get(no, 0) + 1
    if not counts:
        return []
    chains = session.execute(
        select(Shard.shard_no, Shard.chain, Shard.status).where(
            Shard.run_id == run_id, Shard.shard_no.in_(list(counts))
        )
    ).all()
    return [
        Waiting(str(c.chain), c.shard_no, c.status, counts[c.shard_no])
        for c in sorted(chains, key=lambda c: c.shard_no)
    ]
