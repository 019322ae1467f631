"""Memory chains as shards, with real ``farm worker`` processes on the real Redis and
PostgreSQL and the simulator on loopback: a chain shard runs before the shards of its
questions (which wait, and then spread over the workers), a worker SIGKILLed mid-chain
loses no stored step, the embedded executor keeps the same order, a failed chain fails its
questions (never credit), and the results equal an embedded run's case by case."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import Engine, select

from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import MemorySnapshotRow, Result, Run, Shard
from farm.local import run_locally
from farm.models.registry import EndpointConfig, lookup_model
from farm.producer import RunRequest, plan_run
from farm.producer import submit as submit_run
from farm.result_row import PREREQUISITE_FAILED
from farm.runs import plan_resume
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import SimulatorHandle, running_simulator
from farm.suites.store import store_suite
from tests.agentic.cases import agentic_suite
from tests.runs.conftest import Workers, farm_cli, wait_until

SUITE = "agentic-dist"
BACKENDS = ("kv", "rec_sum", "vector")
CHAINS = [f"memory_{b}:travel" for b in BACKENDS]


@pytest.fixture(scope="module")
def suite(runs_engine: Engine) -> str:
    store_suite(runs_engine, agentic_suite(SUITE))
    return f"{SUITE}@1"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorHandle]:
    with running_simulator(agentic_suite(SUITE).cases, SimulatorConfig(latency_s=0.3)) as handle:
        yield handle


@pytest.fixture(scope="module")
def embedded(
    runs_settings: Settings, runs_engine: Engine, suite: str, sim: SimulatorHandle
) -> uuid.UUID:
    """The memory run on the embedded executor (what the distributed runs must equal)."""
    return embedded_run(runs_settings, runs_engine, sim, suite)


@contextmanager
def embedding_endpoint(url: str) -> Iterator[None]:
    os.environ["EMBEDDING_BASE_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("EMBEDDING_BASE_URL", None)


def results(engine: Engine, run_id: uuid.UUID) -> dict[str, tuple[object, bool | None]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == run_id))
        return {r.case_id: (r.raw_output, r.valid) for r in rows}


def steps(engine: Engine, run_id: uuid.UUID) -> list[tuple[str, int, datetime]]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(MemorySnapshotRow).where(MemorySnapshotRow.run_id == run_id)
        ).all()
        return sorted((r.category, r.step, r.created_at) for r in rows)


def snapshots(engine: Engine, run_id: uuid.UUID) -> dict[tuple[str, int], object]:
    """The stored memory state after each step of each chain."""
    with session_scope(engine) as session:
        rows = session.scalars(select(MemorySnapshotRow).where(MemorySnapshotRow.run_id == run_id))
        return {(r.category, r.step): r.state for r in rows}


def shards(engine: Engine, run_id: uuid.UUID) -> list[Shard]:
    with session_scope(engine) as session:
        found = session.scalars(
            select(Shard).where(Shard.run_id == run_id).order_by(Shard.shard_no)
        ).all()
        session.expunge_all()
        return list(found)


def status(engine: Engine, run_id: uuid.UUID) -> str:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return run.status


def assert_chains_before_questions(engine: Engine, run_id: uuid.UUID) -> None:
    """Every question's result was written after its chain's last step was stored, and no
    question's shard was delivered twice."""
    last = {category: stamp for category, _step, stamp in steps(engine, run_id)}
    with session_scope(engine) as session:
        for row in session.scalars(select(Result).where(Result.run_id == run_id)):
            assert row.created_at >= last[row.category], row.case_id
    for shard in shards(engine, run_id):
        assert shard.status == "done"
        if shard.waits_on is not None:
            assert shard.attempts == 1, shard.shard_no  # each question ran once


def embedded_run(settings: Settings, engine: Engine, sim: SimulatorHandle, suite: str) -> uuid.UUID:
    spec = lookup_model(settings, "simulator").model_copy(
        update={"endpoints": [EndpointConfig(base_url=sim.base_url)]}
    )
    with session_scope(engine) as session:
        planned = plan_run(
            session,
            RunRequest(model=spec, suite=suite, categories=["memory"], source="run", shard_size=1),
        )
    with embedding_endpoint(sim.base_url):
        run_locally(settings, engine, spec, planned.run_id, shards=planned.shards)
    return planned.run_id


def submit(settings: Settings, engine: Engine, suite: str) -> uuid.UUID:
    request = RunRequest(
        model=lookup_model(settings, "simulator"),
        suite=suite,
        categories=["memory"],
        shard_size=1,
    )
    return submit_run(settings, engine, request).run_id


def test_chains_run_before_their_questions_which_spread_over_two_workers(
    runs_settings: Settings, runs_engine: Engine, workers: Workers, suite: str, sim, embedded
) -> None:
    run_id = submit(runs_settings, runs_engine, suite)
    planned = shards(runs_engine, run_id)
    chains = {s.shard_no: s for s in planned if s.chain is not None}
    assert sorted(s.chain for s in chains.values()) == CHAINS
    for chain in chains.values():  # the prerequisites in BFCL's order, as the chain's cases
        backend = str(chain.chain).split(":")[0]
        assert chain.case_ids == [f"{backend}_prereq_0-travel-0", f"{backend}_prereq_1-travel-1"]
    questions = [s for s in planned if s.chain is None]
    assert len(questions) == 6 and all(s.waits_on in chains for s in questions)
    assert all(s.status == "waiting" for s in questions)
    shown = farm_cli(runs_settings, "status", str(run_id))
    assert shown.returncode == 0, shown.stderr
    for no, chain in chains.items():
        assert f"2 waiting on chain {chain.chain} (shard {no}, queued)" in shown.stdout

    env = {"EMBEDDING_BASE_URL": sim.base_url}
    workers.start(sim.base_url, env=env)
    workers.start(sim.base_url, env=env)
    wait_until(lambda: status(runs_engine, run_id) == "done", 90, "the run to finish")
    assert_chains_before_questions(runs_engine, run_id)
    distributed = results(runs_engine, run_id)
    assert len(distributed) == 6 and all(valid for _raw, valid in distributed.values())
    with session_scope(runs_engine) as session:
        by = set(session.scalars(select(Result.worker).where(Result.run_id == run_id)))
    assert len(by) == 2  # the question shards spread over both workers
    assert results(runs_engine, embedded) == distributed


def test_a_worker_killed_mid_chain_loses_nothing(
    runs_settings: Settings, runs_engine: Engine, workers: Workers, suite: str, sim, embedded
) -> None:
    env = {"EMBEDDING_BASE_URL": sim.base_url}
    victim = workers.start(sim.base_url, env=env, shards="3")
    run_id = submit(runs_settings, runs_engine, suite)
    wait_until(lambda: len(steps(runs_engine, run_id)) >= 1, 60, "a first chain step")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    kept = steps(runs_engine, run_id)
    assert kept and all(step == 0 for _c, step, _t in kept)  # killed mid-chain
    assert not results(runs_engine, run_id)  # no question ran before its chain
    workers.start(sim.base_url, env=env)
    workers.start(sim.base_url, env=env)
    wait_until(lambda: status(runs_engine, run_id) == "done", 120, "the run to finish")
    after = steps(runs_engine, run_id)
    assert [(c, s) for c, s, _t in after] == [(f"memory_{b}", i) for b in BACKENDS for i in (0, 1)]
    assert set(kept) <= set(after)  # the steps stored before the kill were not redone
    assert_chains_before_questions(runs_engine, run_id)
    assert snapshots(runs_engine, run_id) == snapshots(runs_engine, embedded)  # same memory
    distributed = results(runs_engine, run_id)
    assert results(runs_engine, embedded) == distributed
    assert len(distributed) == 6 and all(valid for _raw, valid in distributed.values())


def test_the_embedded_executor_runs_chains_first_and_side_by_side(
    runs_engine: Engine, embedded: uuid.UUID
) -> None:
    run_id = embedded
    assert status(runs_engine, run_id) == "done"
    assert_chains_before_questions(runs_engine, run_id)
    stamps = steps(runs_engine, run_id)
    first = {c: t for c, s, t in stamps if s == 0}
    last = {c: t for c, s, t in stamps if s == 1}
    # the three chains overlap: each one's first step is stored before any chain ends
    assert max(first.values()) < min(last.values())


def test_a_failed_chain_fails_its_questions_and_a_resume_runs_it_on(
    runs_settings: Settings, runs_engine: Engine, suite: str, sim, embedded
) -> None:
    spec = lookup_model(runs_settings, "simulator").model_copy(
        update={"endpoints": [EndpointConfig(base_url=sim.base_url)]}
    )
    with session_scope(runs_engine) as session:
        planned = plan_run(
            session,
            RunRequest(model=spec, suite=suite, categories=["memory"], source="run"),
        )
    # the vector memory's embedding endpoint is down: its chain cannot run
    with embedding_endpoint("http://127.0.0.1:9/v1"):
        run_locally(runs_settings, runs_engine, spec, planned.run_id, shards=planned.shards)
    assert status(runs_engine, planned.run_id) == "incomplete"
    with session_scope(runs_engine) as session:
        rows = {
            r.case_id: r
            for r in session.scalars(select(Result).where(Result.run_id == planned.run_id))
        }
    assert len(rows) == 6
    for case_id, row in rows.items():
        if case_id.startswith("memory_vector"):
            assert row.valid is None and row.raw_output is None  # no verdict, no credit
            assert row.inference_error == PREREQUISITE_FAILED
            assert "prerequisite chain memory_vector:travel failed" in str(row.inference_message)
        else:
            assert row.valid is True, (case_id, row.inference_message)
    failed = next(s for s in shards(runs_engine, planned.run_id) if s.chain == CHAINS[2])
    assert failed.status == "failed"

    # farm resume: the chain runs again (the endpoint is back), then its questions
    with session_scope(runs_engine) as session:
        plan_resume(session, planned.run_id)
    resumed = shards(runs_engine, planned.run_id)
    chain = next(s for s in resumed if s.chain == "memory_vector:travel")
    assert chain.status == "queued"
    assert {s.status for s in resumed if s.waits_on == chain.shard_no} == {"waiting"}
    with embedding_endpoint(sim.base_url):
        run_locally(runs_settings, runs_engine, spec, planned.run_id)
    assert status(runs_engine, planned.run_id) == "done"
    assert results(runs_engine, planned.run_id) == results(runs_engine, embedded)


def test_a_chain_releases_its_shards_once_and_a_late_failure_of_a_copy_changes_nothing(
    runs_settings: Settings, runs_engine: Engine, suite: str
) -> None:
    from farm.chains import fail_chain, release_chain

    spec = lookup_model(runs_settings, "simulator")
    with session_scope(runs_engine) as session:
        planned = plan_run(session, RunRequest(model=spec, suite=suite, categories=["memory"]))
    chain = next(s for s in planned.shards if s.chain == CHAINS[0])
    with session_scope(runs_engine) as session:
        released = release_chain(session, planned.run_id, chain.shard_no)
    assert [s.waits_on for s in released] == [chain.shard_no]
    assert released[0].case_ids == ("memory_kv_0-travel-0", "memory_kv_1-travel-1")
    with session_scope(runs_engine) as session:  # a second copy of the chain finishes
        assert release_chain(session, planned.run_id, chain.shard_no) == []
    with session_scope(runs_engine) as session:  # or fails: the released shard is untouched
        assert fail_chain(session, planned.run_id, chain.shard_no, "late", worker="w") == (0, False)
    states = {s.shard_no: s.status for s in shards(runs_engine, planned.run_id)}
    assert states[chain.shard_no] == "done" and states[released[0].shard_no] == "queued"
    assert not results(runs_engine, planned.run_id)
