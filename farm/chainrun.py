"""Executing a chain shard: run the benchmark's chain, then release or fail its waiters.

Called by :func:`farm.shards.execute_shard` once the chain shard's lease is taken. The
chain runs in the shard's :class:`~farm.benchmarks.context.SolveContext` under the same
lease watcher as any shard (renewal, cancel). How it ends:

- the chain is stored: the shard is done and the shards waiting for it are ``queued``, in
  one transaction; they come back in :attr:`ChainEnd.released` for the caller to send;
- a step failed to run (an inference failure), or the suite lacks the chain: every case
  waiting for it gets a ``prerequisite_failed`` row (:func:`farm.chains.fail_chain`);
- the run was cancelled: the shard is ``cancelled`` (its stored steps stay);
- the worker is going away, or the database is down: the lease is given back (``queued``)
  and the stored steps stay; a redelivery resumes after the last stored step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from farm import ledger
from farm.benchmarks.context import SolveContext, reset_context, set_context
from farm.benchmarks.registry import benchmark_for
from farm.chains import fail_chain, release_chain
from farm.db.engine import session_scope
from farm.db.models import Shard, Suite, TestCase
from farm.errors import StorageError
from farm.inference import InferenceOutcome
from farm.shardspec import ShardSpec
from farm.suites.case import Case

if TYPE_CHECKING:
    from farm.shards import ShardEnv

log = logging.getLogger(__name__)

#: The lease watcher of :mod:`farm.shards`: ``watch(env, shard, tasks)``.
Watcher = Callable[[Any, ShardSpec, Sequence["asyncio.Task[Any]"]], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ChainEnd:
    """How a chain shard ended (:class:`farm.shards.ShardOutcome`'s fields).

    Attributes:
        status: ``done``, ``cancelled`` or ``failed``.
        written: error rows written for the waiting cases (a failed chain).
        reason: why it did not finish.
        finalised: whether those rows completed the run.
        released: the shards it made ready (to be sent).
    """

    status: str
    written: int = 0
    reason: str = ""
    finalised: bool = False
    released: tuple[ShardSpec, ...] = ()


async def execute_chain(env: ShardEnv, shard: ShardSpec, watch: Watcher) -> ChainEnd:
    """Run chain shard ``shard`` (lease held) to its end; see the module's docstring."""
    assert shard.chain is not None
    model = env.spec.model_copy(update={"mode": shard.mode, "generation": dict(shard.generation)})
    context = SolveContext(env.engine, shard.run_id, shard.shard_no)
    token = set_context(context)  # the chain task below inherits it
    try:
        task = asyncio.create_task(_run(env, model, shard))
    finally:
        reset_context(token)
    watcher = asyncio.create_task(watch(env, shard, [task]))
    try:
        (result,) = await asyncio.gather(task, return_exceptions=True)
    except asyncio.CancelledError:  # the worker is going away: the chain is redelivered
        task.cancel()
        await asyncio.shield(asyncio.to_thread(_give_back, env, shard, ledger.SHARD_QUEUED))
        raise
    finally:
        watcher.cancel()
        await asyncio.shield(context.aclose())
    if isinstance(result, asyncio.CancelledError):  # the run was cancelled
        await asyncio.to_thread(_give_back, env, shard, ledger.SHARD_CANCELLED)
        return ChainEnd("cancelled", reason="run cancelled")
    if isinstance(result, StorageError):  # the database went away: try the chain again
        await asyncio.to_thread(_give_back, env, shard, ledger.SHARD_QUEUED)
        raise result
    if result is None:
        released = await asyncio.to_thread(_release, env, shard)
        log.info("chain %s stored: %d shard(s) released", shard.chain, len(released))
        return ChainEnd("done", released=tuple(released))
    if isinstance(result, InferenceOutcome):
        why = f"{result.error_type}: {result.error_message}"
    else:
        if not isinstance(result, Exception):
            raise result  # KeyboardInterrupt, SystemExit
        why = f"{type(result).__name__}: {result}".splitlines()[0]
    message = f"prerequisite chain {shard.chain} failed: {why}"[:2000]
    if env.breaker is not None:
        kind = result.error_type if isinstance(result, InferenceOutcome) else None
        env.breaker.record(ok=False, reason=message, kind=kind)
    written, finalised = await asyncio.to_thread(_fail, env, shard, message)
    log.warning("%s (%d waiting case(s) recorded as failed)", message, written)
    return ChainEnd("failed", written, message, finalised)


async def _run(env: ShardEnv, model: Any, shard: ShardSpec) -> InferenceOutcome | None:
    """The chain itself: ``None`` once stored, or the failed outcome of a step."""
    assert shard.chain is not None
    question, suite_extra = await asyncio.to_thread(_question, env, shard)
    if question is None:  # nothing waits for it
        return None
    outcome = await benchmark_for(question.category).run_chain(
        shard.chain, question, model, env.pool, suite_extra=suite_extra
    )
    if outcome is None and env.breaker is not None:
        env.breaker.record(ok=True)
    return outcome


def _question(env: ShardEnv, shard: ShardSpec) -> tuple[Case | None, dict[str, Any]]:
    """One case that waits for the chain (its tools), and the suite's ``extra``."""
    from farm.suites.store import case_from_row

    with session_scope(env.engine) as session:
        first = session.scalars(
            select(Shard.case_ids)
            .where(Shard.run_id == shard.run_id, Shard.waits_on == shard.shard_no)
            .order_by(Shard.shard_no)
            .limit(1)
        ).first()
        if not first:
            return None, {}
        row = session.scalars(
            select(TestCase).where(
                TestCase.suite_id == shard.suite_id, TestCase.case_id == first[0]
            )
        ).one()
        extra = env._suite_extra.get(shard.suite_id)
        if extra is None:
            suite = session.get(Suite, shard.suite_id)
            extra = env._suite_extra[shard.suite_id] = dict(suite.extra) if suite else {}
        return case_from_row(row), extra


def _release(env: ShardEnv, shard: ShardSpec) -> list[ShardSpec]:
    with session_scope(env.engine) as session:
        return release_chain(session, shard.run_id, shard.shard_no)


def _fail(env: ShardEnv, shard: ShardSpec, message: str) -> tuple[int, bool]:
    with session_scope(env.engine) as session:
        return fail_chain(session, shard.run_id, shard.shard_no, message, worker=env.worker)


def _give_back(env: ShardEnv, shard: ShardSpec, status: str) -> None:
    try:
        with session_scope(env.engine) as session:
            ledger.release_shard(
                session, shard.run_id, shard.shard_no, owner=env.worker, status=status
            )
    except StorageError as exc:  # the lease expires on its own
        log.warning("could not give back chain shard %s: %s", shard.shard_no, exc)
