"""A SIGKILLed worker's shards run on another live worker within a lease and a sweep period,
still exactly once (real ``farm worker`` processes, PostgreSQL, Redis)."""

from __future__ import annotations

import signal
import time
import uuid

from sqlalchemy import func, select

from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import Result, Run, Shard
from farm.failures import heartbeat_seconds, sweep_seconds
from farm.models.registry import lookup_model
from farm.producer import RunRequest
from farm.producer import submit as submit_run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.runs.conftest import LEASE_SECONDS, Workers, wait_until


def test_default_settings_put_a_dead_workers_shards_back_to_work_within_a_minute() -> None:
    lease = Settings().lease_seconds
    assert heartbeat_seconds(lease) <= 2.0
    assert lease + sweep_seconds(lease) < 60  # expiry, then the next sweep of a live worker


def held_by(engine, run_id: uuid.UUID, owner_prefix: str) -> dict[int, str]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Shard.shard_no, Shard.lease_owner).where(
                Shard.run_id == run_id,
                Shard.status == "running",
                Shard.lease_owner.like(f"{owner_prefix}%"),
            )
        ).all()
    return {no: owner for no, owner in rows}


def test_a_sigkilled_workers_shards_run_elsewhere_within_a_lease_and_a_sweep(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=["single_turn"])
    with running_simulator(cases, SimulatorConfig(latency_s=1.5)) as sim:
        victim = workers.start(sim.base_url, shards="2", concurrency="4", name="victim@test")
        request = RunRequest(
            lookup_model(runs_settings, "simulator"), suite_spec, ["single_turn"], shard_size=4
        )
        planned = submit_run(runs_settings, runs_engine, request)
        wait_until(
            lambda: len(held_by(runs_engine, planned.run_id, "victim")) == 2,
            30,
            "the victim to hold two shards",
        )
        workers.start(sim.base_url, shards="8", concurrency="8", name="survivor@test")
        wait_until(
            lambda: bool(held_by(runs_engine, planned.run_id, "survivor")),
            30,
            "the survivor to start",
        )
        held = held_by(runs_engine, planned.run_id, "victim")
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.wait(timeout=10)

        def all_elsewhere() -> bool:
            with session_scope(runs_engine) as session:
                shards = session.scalars(
                    select(Shard).where(
                        Shard.run_id == planned.run_id, Shard.shard_no.in_(list(held))
                    )
                ).all()
            return all(
                s.status == "done" or (s.lease_owner or "").startswith("survivor") for s in shards
            )

        wait_until(all_elsewhere, 60, "the victim's shards to run on the survivor")
        elapsed = time.monotonic() - killed

        def done() -> bool:
            with session_scope(runs_engine) as session:
                return session.get(Run, planned.run_id).status == "done"  # type: ignore[union-attr]

        wait_until(done, 60, "the run to finish")
    bound = LEASE_SECONDS + sweep_seconds(LEASE_SECONDS)
    # slack for a loaded 2-core machine (a worker start, a sweep, the claim)
    assert elapsed <= bound + 10.0, f"{elapsed:.1f} s after the SIGKILL (bound {bound:.1f} s)"
    with session_scope(runs_engine) as session:
        n = session.scalar(select(func.count()).where(Result.run_id == planned.run_id))
        distinct = session.scalar(
            select(func.count(func.distinct(Result.case_id))).where(Result.run_id == planned.run_id)
        )
    assert n == distinct == planned.n_cases == len(cases)
