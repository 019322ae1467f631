"""Shard execution, shared by the distributed worker and the embedded executor.

A shard is a slice of a run's cases. :func:`execute_shard` takes the shard's lease, loads
its cases, skips those that already have a result, has each case's benchmark
(:mod:`farm.benchmarks`) solve all remaining cases at once (the endpoint pool bounds how
many requests are in flight), scores each answer with the same benchmark, and
writes the whole shard in one transaction (``INSERT ... ON CONFLICT DO NOTHING``). While it
runs, a watcher renews the lease and notices a cancelled run, in which case the requests
still in flight are dropped and the finished ones are kept. The shard that completes the
run finalises it (see :mod:`farm.ledger`). A chain shard runs its chain instead
(:mod:`farm.chainrun`) and releases the shards that wait for it (:mod:`farm.chains`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from farm import ledger
from farm.benchmarks.context import SolveContext, reset_context, set_context
from farm.benchmarks.registry import benchmark_for
from farm.db.engine import session_scope
from farm.errors import FarmError, RunError
from farm.failures import (
    LEASE_SECONDS,
    WRITE_RETRY_DEADLINE,
    Breaker,
    heartbeat_seconds,
    retry_storage,
)
from farm.result_row import SHARD_ABANDONED, Failure, ResultRow, failed_row
from farm.shardspec import SHARD_TASK as SHARD_TASK  # re-exported: the task name
from farm.shardspec import ShardSpec as ShardSpec  # re-exported: the payload
from farm.suites.case import Case

if TYPE_CHECKING:
    from farm.endpoints.embeddings import EmbeddingClient
    from farm.endpoints.pool import EndpointPool
    from farm.inference import ToolRetrieval
    from farm.models.registry import ModelSpec

log = logging.getLogger(__name__)

#: Embedding model asked for when a run uses tool retrieval without naming one.
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


@dataclass
class ShardEnv:
    """What executing shards needs, shared by every shard a process runs.

    Attributes:
        engine: the database.
        spec: the model, with the endpoints this process talks to.
        pool: the open endpoint pool (one limit per endpoint, shared by all shards).
        worker: a name recorded with leases and results (``host:pid`` or a Celery node).
        lease_seconds: how long a lease lasts without renewal.
        poll_seconds: how often the watcher renews the lease and checks for a cancel.
        on_case: called after each case with whether it was an inference error.
        breaker: counts inferences; calls the endpoint dead when the first ones all fail.
        write_deadline_s: how long inferred results wait for an unreachable database.
    """

    engine: Engine
    spec: ModelSpec
    pool: EndpointPool
    worker: str
    lease_seconds: int = LEASE_SECONDS
    poll_seconds: float = 1.0
    on_case: Callable[[bool], None] | None = None
    breaker: Breaker | None = None
    write_deadline_s: float = WRITE_RETRY_DEADLINE
    _suite_extra: dict[int, dict[str, Any]] = field(default_factory=dict)
    _embedders: dict[str, EmbeddingClient] = field(default_factory=dict)
    _active: set[tuple[uuid.UUID, int]] = field(default_factory=set)

    def retrieval(self, shard: ShardSpec) -> ToolRetrieval | None:
        """The shard's tool retrieval (``None`` when off), one embedding client per model.

        Raises:
            ConfigError: when no embedding endpoint is configured (``EMBEDDING_BASE_URL``
                or ``OPENAI_BASE_URL``).
        """
        from farm.endpoints.embeddings import EmbeddingClient
        from farm.inference import ToolRetrieval

        if shard.tool_retrieval is None:
            return None
        name = shard.embedding_model or DEFAULT_EMBEDDING_MODEL
        client = self._embedders.get(name)
        if client is None:
            client = self._embedders[name] = EmbeddingClient.from_env(name)
        return ToolRetrieval(shard.tool_retrieval, client)

    async def aclose(self) -> None:
        """Close the embedding clients (the endpoint pool belongs to the caller)."""
        for client in self._embedders.values():
            await client.aclose()
        self._embedders.clear()


@dataclass(frozen=True)
class ShardOutcome:
    """What happened to a shard: ``done``, ``cancelled``, ``skipped`` or ``failed``.

    ``released``: the shards a finished chain shard made ready; the caller sends them.
    """

    status: str
    written: int = 0
    reason: str = ""
    finalised: bool = False
    released: tuple[ShardSpec, ...] = ()


async def execute_shard(env: ShardEnv, shard: ShardSpec) -> ShardOutcome:
    """Run one shard to completion (or to a cancel) and write its results.

    Safe to call any number of times for the same shard, concurrently or not: the lease
    keeps two live copies apart (two in one process, where the lease owner is the same, are
    kept apart here) and the result writes are idempotent. Inferred results wait in memory
    through a database outage (:func:`farm.failures.retry_storage`).
    """
    key = (shard.run_id, shard.shard_no)
    if key in env._active:  # a duplicate message of a shard this process is running
        return ShardOutcome("skipped", reason="running here")
    env._active.add(key)
    try:
        return await _execute(env, shard)
    finally:
        env._active.discard(key)


async def _execute(env: ShardEnv, shard: ShardSpec) -> ShardOutcome:
    claim = await asyncio.to_thread(_claim, env, shard)
    if not claim.granted:
        if claim.reason == "failed":
            written, finalised = await asyncio.to_thread(_abandon, env, shard, claim.attempts)
            return ShardOutcome("failed", written, "too many deliveries", finalised)
        return ShardOutcome("skipped", reason=claim.reason)
    if shard.chain is not None:
        from farm.chainrun import execute_chain

        end = await execute_chain(env, shard, _watch)
        return ShardOutcome(end.status, end.written, end.reason, end.finalised, end.released)
    todo, suite_extra = await asyncio.to_thread(_pending_cases, env, shard)
    model = env.spec.model_copy(update={"mode": shard.mode, "generation": dict(shard.generation)})
    rows: list[ResultRow] = []
    context = SolveContext(env.engine, shard.run_id, shard.shard_no)
    token = set_context(context)  # the case tasks below inherit it
    try:
        tasks = [
            asyncio.create_task(_run_case(env, model, case, suite_extra, rows, shard))
            for case in todo
        ]
    finally:
        reset_context(token)
    watcher = asyncio.create_task(_watch(env, shard, tasks))
    try:
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    except asyncio.CancelledError:  # the worker is going away (its endpoint may be dead)
        watcher.cancel()
        for task in tasks:
            task.cancel()
        kept = [r for r in rows if not r.model_error]  # model errors: try again
        await asyncio.shield(_write_retrying(env, shard, kept, ledger.SHARD_QUEUED))
        raise
    finally:
        watcher.cancel()
        await asyncio.shield(context.aclose())
    complete = len(rows) == len(todo)
    status = ledger.SHARD_DONE if complete else ledger.SHARD_CANCELLED
    finalised = await _write_retrying(env, shard, rows, status)
    return ShardOutcome("done" if complete else "cancelled", len(rows), "", finalised)


async def _run_case(
    env: ShardEnv,
    model: ModelSpec,
    case: Case,
    suite_extra: dict[str, Any] | None,
    rows: list[ResultRow],
    shard: ShardSpec,
) -> None:
    from farm.caserun import run_case

    row = await run_case(env, model, case, suite_extra, env.retrieval(shard))
    rows.append(row)
    if env.on_case is not None:
        env.on_case(row.model_error)


async def _write_retrying(
    env: ShardEnv, shard: ShardSpec, rows: list[ResultRow], status: str
) -> bool:
    """Write the shard's rows, waiting for the database as long as the policy allows."""
    return await retry_storage(
        lambda: asyncio.to_thread(_write, env, shard, rows, status),
        what=f"writing {len(rows)} result(s) of shard {shard.run_id}/{shard.shard_no}",
        deadline_s=env.write_deadline_s,
    )


async def _watch(env: ShardEnv, shard: ShardSpec, tasks: Sequence[asyncio.Task[None]]) -> None:
    """Renew the lease; on a cancelled run, drop the requests still in flight."""
    interval = min(env.poll_seconds, heartbeat_seconds(env.lease_seconds))
    while True:
        await asyncio.sleep(interval)
        try:
            status = await asyncio.to_thread(_renew, env, shard)
        except FarmError as exc:  # a database hiccup: keep working, try again
            log.warning(
                "lease renewal of shard %s/%s failed: %s", shard.run_id, shard.shard_no, exc
            )
            continue
        if status == ledger.RUN_CANCELLED:
            log.info("run %s cancelled: stopping shard %s", shard.run_id, shard.shard_no)
            for task in tasks:
                task.cancel()
            return


def _claim(env: ShardEnv, shard: ShardSpec) -> ledger.Claim:
    with session_scope(env.engine) as session:
        return ledger.claim_shard(
            session,
            shard.run_id,
            shard.shard_no,
            owner=env.worker,
            lease_seconds=env.lease_seconds,
        )


def _renew(env: ShardEnv, shard: ShardSpec) -> str:
    with session_scope(env.engine) as session:
        return ledger.renew_lease(
            session,
            shard.run_id,
            shard.shard_no,
            owner=env.worker,
            lease_seconds=env.lease_seconds,
        )


def _pending_cases(env: ShardEnv, shard: ShardSpec) -> tuple[list[Case], dict[str, Any] | None]:
    from farm.db.models import Suite

    with session_scope(env.engine) as session:
        done = ledger.done_case_ids(session, shard.run_id, shard.case_ids)
        wanted = [c for c in shard.case_ids if c not in done]
        cases = load_shard_cases(session, shard.suite_id, wanted)
        suite_extra: dict[str, Any] | None = None
        if any(benchmark_for(c.category).needs_suite_extra(c) for c in cases):
            suite_extra = env._suite_extra.get(shard.suite_id)
            if suite_extra is None:
                suite = session.get(Suite, shard.suite_id)
                suite_extra = dict(suite.extra) if suite is not None else {}
                env._suite_extra[shard.suite_id] = suite_extra
    return cases, suite_extra


def load_shard_cases(session: Session, suite_id: int, case_ids: Sequence[str]) -> list[Case]:
    """The cases ``case_ids`` of a suite, in that order (one query, no suite-wide reads).

    Raises:
        RunError: if a case is no longer in the suite.
    """
    from sqlalchemy import select

    from farm.db.models import TestCase
    from farm.suites.store import case_from_row

    if not case_ids:
        return []
    rows = {
        row.case_id: row
        for row in session.scalars(
            select(TestCase).where(TestCase.suite_id == suite_id, TestCase.case_id.in_(case_ids))
        )
    }
    missing = [c for c in case_ids if c not in rows]
    if missing:
        raise RunError(
            f"{len(missing)} case(s) of the shard are not in suite {suite_id}: {missing[0]}"
        )
    return [case_from_row(rows[c]) for c in case_ids]


def _write(env: ShardEnv, shard: ShardSpec, rows: list[ResultRow], status: str) -> bool:
    with session_scope(env.engine) as session:
        return ledger.write_shard_results(
            session, shard.run_id, shard.shard_no, rows, owner=env.worker, shard_status=status
        )


def _abandon(env: ShardEnv, shard: ShardSpec, attempts: int) -> tuple[int, bool]:
    """Record the remaining cases of a shard given up after too many deliveries.

    A chain shard's are the cases that wait for it (``prerequisite_failed``).
    """
    message = f"shard abandoned after {attempts - 1} deliveries (its worker died each time)"
    with session_scope(env.engine) as session:
        if shard.chain is not None:
            from farm.chains import fail_chain

            return fail_chain(
                session,
                shard.run_id,
                shard.shard_no,
                f"chain {shard.chain}: {message}",
                worker=env.worker,
            )
        done = ledger.done_case_ids(session, shard.run_id, shard.case_ids)
        wanted = [c for c in shard.case_ids if c not in done]
        cases = load_shard_cases(session, shard.suite_id, wanted)
        failure = Failure(SHARD_ABANDONED, message)
        rows = [failed_row(c.case_id, c.category, failure, worker=env.worker) for c in cases]
        finalised = ledger.write_shard_results(
            session,
            shard.run_id,
            shard.shard_no,
            rows,
            owner=env.worker,
            shard_status=ledger.SHARD_FAILED,
        )
    return len(rows), finalised
