"""Memory chains with two real ``farm worker`` processes on the real Redis and PostgreSQL:
chains run before their questions, a worker SIGKILLed mid-chain loses no stored step, and
the results equal an embedded run's."""

from __future__ import annotations

import signal
import time
import uuid

from sqlalchemy import Engine, select

from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import MemorySnapshotRow, Result, Run, Shard
from farm.local import run_locally
from farm.models.registry import EndpointConfig, lookup_model
from farm.producer import RunRequest, plan_run
from farm.producer import submit as submit_run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import store_suite
from tests.agentic.cases import agentic_suite
from tests.runs.conftest import Workers, wait_until

SUITE = "agentic-dist"


def results(engine: Engine, run_id: uuid.UUID) -> dict[str, tuple[object, bool | None]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == run_id))
        return {r.case_id: (r.raw_output, r.valid) for r in rows}


def steps(engine: Engine, run_id: uuid.UUID) -> list[tuple[str, int, object]]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(MemorySnapshotRow).where(MemorySnapshotRow.run_id == run_id)
        ).all()
        return sorted((r.category, r.step, r.created_at) for r in rows)


def status(engine: Engine, run_id: uuid.UUID) -> str:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status


def test_memory_chains_with_two_workers_survive_a_kill_and_equal_the_embedded_run(
    runs_settings: Settings, runs_engine: Engine, workers: Workers
) -> None:
    data = agentic_suite(SUITE)
    store_suite(runs_engine, data)
    with running_simulator(data.cases, SimulatorConfig(latency_s=0.4)) as sim:
        env = {"EMBEDDING_BASE_URL": sim.base_url}
        request = RunRequest(
            model=lookup_model(runs_settings, "simulator"),
            suite=f"{SUITE}@1",
            categories=["memory"],
        )
        victim = workers.start(sim.base_url, env=env, shards="3")
        run_id = submit_run(runs_settings, runs_engine, request).run_id
        with session_scope(runs_engine) as session:
            shards = session.scalars(select(Shard).where(Shard.run_id == run_id)).all()
            # one shard per (backend, scenario): the chain runs where its questions run
            assert sorted(len(s.case_ids) for s in shards) == [2, 2, 2]
        wait_until(lambda: len(steps(runs_engine, run_id)) >= 1, 60, "a first chain step")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        kept = steps(runs_engine, run_id)
        assert kept and all(step == 0 for _c, step, _t in kept)  # killed mid-chain
        workers.start(sim.base_url, env=env)
        workers.start(sim.base_url, env=env)
        wait_until(lambda: status(runs_engine, run_id) == "done", 120, "the run to finish")
        after = steps(runs_engine, run_id)
        assert [(c, s) for c, s, _t in after] == [
            (f"memory_{b}", i) for b in ("kv", "rec_sum", "vector") for i in (0, 1)
        ]
        assert set(kept) <= set(after)  # the steps stored before the kill were not redone
        distributed = results(runs_engine, run_id)
        assert len(distributed) == 6 and all(valid for _raw, valid in distributed.values())

        # the same run embedded, in this process
        spec = lookup_model(runs_settings, "simulator").model_copy(
            update={"endpoints": [EndpointConfig(base_url=sim.base_url)]}
        )
        import os

        os.environ["EMBEDDING_BASE_URL"] = sim.base_url
        try:
            with session_scope(runs_engine) as session:
                planned = plan_run(
                    session,
                    RunRequest(model=spec, suite=f"{SUITE}@1", categories=["memory"], source="run"),
                )
            started = time.monotonic()
            run_locally(runs_settings, runs_engine, spec, planned.run_id, shards=planned.shards)
            assert time.monotonic() - started < 60
        finally:
            os.environ.pop("EMBEDDING_BASE_URL", None)
        embedded = results(runs_engine, planned.run_id)
    assert embedded == distributed
