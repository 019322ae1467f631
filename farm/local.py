"""The embedded executor: run a planned run's shards in this process, no broker needed.

It runs the very same :func:`farm.shards.execute_shard` as a distributed worker, on one
event loop with one endpoint pool, a few shards at a time so that the pool's slots stay
busy while a finished shard is scored and written. It honours chains as the broker does:
the shards waiting for a chain shard start when its completion releases them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from farm import ledger
from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import Run, Shard
from farm.errors import EndpointDead
from farm.failures import Breaker
from farm.models.registry import ModelSpec
from farm.shards import ShardEnv, ShardOutcome, execute_shard
from farm.shardspec import ShardSpec

#: Shards in flight at once in the embedded executor.
SHARDS_IN_FLIGHT = 3


@dataclass(frozen=True)
class LocalReport:
    """What the embedded executor did."""

    run_id: uuid.UUID
    shards: int
    written: int
    finalised: bool


def local_worker_name() -> str:
    """The name recorded as worker of embedded results: ``local-<pid>@<host>``."""
    return f"local-{os.getpid()}@{socket.gethostname()}"


def pending_shards(engine: Engine, run_id: uuid.UUID) -> list[ShardSpec]:
    """The shards of a run that are not done yet, as specs."""
    from farm.shardspec import spec_of

    with session_scope(engine) as session:
        run = ledger.get_run(session, run_id)
        shards = session.scalars(
            select(Shard)
            .where(
                Shard.run_id == run.id,
                Shard.status.notin_((ledger.SHARD_DONE, ledger.SHARD_FAILED)),
            )
            .order_by(Shard.shard_no)
        ).all()
        return [spec_of(run, s) for s in shards]


async def execute_locally(
    settings: Settings,
    engine: Engine,
    spec: ModelSpec,
    shards: Sequence[ShardSpec],
    *,
    on_case: Callable[[bool], None] | None = None,
    shards_in_flight: int = SHARDS_IN_FLIGHT,
) -> list[ShardOutcome]:
    """Execute ``shards`` with one endpoint pool for ``spec`` on the running loop.

    A shard that waits for a chain shard among ``shards`` starts once that chain shard has
    released it (chains of different scenarios run at once, beside the other shards); one
    whose chain shard is not among them is tried at once (its lease says whether it may
    run).

    Raises:
        EndpointDead: the first inferences all failed (:class:`farm.failures.Breaker`); the
            shards stopped, keeping their scored results.
    """
    from farm.endpoints.pool import EndpointPool

    outcomes: list[ShardOutcome] = []
    gate = asyncio.Semaphore(max(1, shards_in_flight))
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()

    def stop_all(_error: EndpointDead) -> None:
        loop.call_soon_threadsafe(main.cancel)

    breaker = Breaker(on_trip=stop_all)
    async with EndpointPool(spec, settings) as pool:
        env = ShardEnv(
            engine=engine,
            spec=spec,
            pool=pool,
            worker=local_worker_name(),
            lease_seconds=settings.lease_seconds,
            poll_seconds=1.0,
            on_case=on_case,
            breaker=breaker,
        )

        chains = {s.shard_no for s in shards if s.chain is not None}
        held: dict[int, list[ShardSpec]] = {no: [] for no in chains}
        for shard in shards:
            if shard.waits_on is not None and shard.waits_on in chains:
                held[shard.waits_on].append(shard)

        async def one(shard: ShardSpec) -> None:
            async with gate:
                outcomes.append(await execute_shard(env, shard))

        async def chain_then(shard: ShardSpec) -> None:
            # a chain is one conversation at a time: it takes no shard slot of the gate
            outcome = await execute_shard(env, shard)
            outcomes.append(outcome)
            released = {r.shard_no for r in outcome.released}
            waiting = [w for w in held[shard.shard_no] if w.shard_no in released]
            await asyncio.gather(*(one(w) for w in waiting))

        tasks = [
            asyncio.create_task(chain_then(s) if s.shard_no in chains else one(s))
            for s in shards
            if s.waits_on is None or s.waits_on not in chains
        ]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            # gather ends at its first cancelled shard; the others are still writing what
            # they inferred (shielded): wait for them, or the loop's end drops those rows
            await asyncio.wait(tasks)
            if breaker.tripped is None:
                raise
            main.uncancel()
            raise breaker.tripped from None
        finally:
            await env.aclose()
    return outcomes


def run_locally(
    settings: Settings,
    engine: Engine,
    spec: ModelSpec,
    run_id: uuid.UUID,
    *,
    on_case: Callable[[bool], None] | None = None,
    shards: Sequence[ShardSpec] | None = None,
) -> LocalReport:
    """Execute ``shards`` (default: every pending shard of ``run_id``) here; block until done.

    ``farm run`` passes the shards it just planned; a resume reads the pending ones. A run
    left unfinished (interrupted) keeps what it wrote; running this again, or ``farm
    resume``, continues it.

    Raises:
        EndpointDead: the endpoint failed the run's first requests; the run ends
            ``incomplete`` (``farm resume`` continues it).
    """
    with session_scope(engine) as session:
        run = ledger.get_run(session, run_id, lock=True)
        if run.status == ledger.RUN_CANCELLED:
            run.status = ledger.RUN_RUNNING if run.started_at else ledger.RUN_PENDING
        _release_local_leases(session, run)
    if shards is None:
        shards = pending_shards(engine, run_id)
    try:
        outcomes = asyncio.run(execute_locally(settings, engine, spec, shards, on_case=on_case))
    except EndpointDead as exc:
        with session_scope(engine) as session:
            run = ledger.get_run(session, run_id, lock=True)
            if run.status not in ledger.ENDED_RUN:
                ledger.end_run(session, run, ledger.RUN_INCOMPLETE)
        raise EndpointDead(
            f"{exc.message}; run {run_id} stopped incomplete ('farm resume {run_id}' continues it)"
        ) from None
    return LocalReport(
        run_id,
        len(shards),
        sum(o.written for o in outcomes),
        any(o.finalised for o in outcomes),
    )


def _release_local_leases(session: object, run: Run) -> None:
    """Leases held by an embedded executor that is gone (interrupted) are free again."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    session.execute(
        update(Shard)
        .where(
            Shard.run_id == run.id,
            Shard.status.in_((ledger.SHARD_RUNNING, ledger.SHARD_CANCELLED)),
            Shard.lease_owner.is_(None) | Shard.lease_owner.like("local-%"),
        )
        .values(status=ledger.SHARD_QUEUED, lease_owner=None, lease_expires_at=None)
    )
