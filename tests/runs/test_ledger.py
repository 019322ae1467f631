"""Planning, leases, idempotent writes and the sweep, on the real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from farm import ledger
from farm.config import Settings
from farm.db.base import utcnow
from farm.db.engine import session_scope
from farm.db.models import Result, Run, Shard
from farm.errors import RunError, SuiteError
from farm.models.registry import lookup_model
from farm.producer import PlannedRun, RunRequest, auto_shard_size, plan_run
from farm.result_row import ResultRow
from farm.runs import cancel_run, plan_resume, sweep
from farm.shards import ShardSpec
from tests.runs.conftest import result_count


def plan(settings: Settings, engine: Engine, suite_spec: str, **kw: object) -> PlannedRun:
    request = RunRequest(
        model=lookup_model(settings, "simulator"),
        suite=suite_spec,
        categories=kw.pop("categories", ["single_turn"]),  # type: ignore[arg-type]
        shard_size=kw.pop("shard_size", 3),  # type: ignore[arg-type]
    )
    with session_scope(engine) as session:
        return plan_run(session, request)


def row(case_id: str, category: str = "simple_python") -> ResultRow:
    return ResultRow(case_id, category, raw_output="x", valid=True)


def test_planning_splits_the_cases_into_shards_in_suite_order(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    ids = [c for s in planned.shards for c in s.case_ids]
    assert len(ids) == planned.n_cases == len(set(ids))
    assert all(len(s.case_ids) <= 3 for s in planned.shards)
    assert ids[0].startswith("simple_python")
    assert "multi_turn_base" not in planned.categories
    with session_scope(runs_engine) as session:
        run = session.get(Run, planned.run_id)
        assert run is not None and run.status == "pending" and run.n_cases == len(ids)
        assert len(session.scalars(select(Shard).where(Shard.run_id == run.id)).all()) == len(
            planned.shards
        )


def test_planning_an_unknown_category_is_a_one_line_error(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    with pytest.raises(SuiteError, match="unknown category"):
        plan(runs_settings, runs_engine, suite_spec, categories=["no_such_thing"])


def test_auto_shard_size_keeps_two_waves_and_spreads_big_runs():
    assert auto_shard_size(3641, 64) == 128
    assert auto_shard_size(100_000, 64) == 2000
    assert auto_shard_size(10, 64) == 128


def test_a_shard_payload_round_trips_and_a_malformed_one_is_a_typed_error():
    spec = ShardSpec(
        run_id=uuid.uuid4(), shard_no=0, suite_id=1, model_key="m", mode="fc", case_ids=("a",)
    )
    assert ShardSpec.from_payload(spec.payload()) == spec
    with pytest.raises(RunError, match="malformed shard payload: shard_no"):
        ShardSpec.from_payload({**spec.payload(), "shard_no": -1})
    with pytest.raises(RunError, match="malformed shard payload"):
        ShardSpec.from_payload("not a dict")


def test_a_lease_keeps_a_second_worker_out_until_it_expires(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    rid = planned.run_id
    with session_scope(runs_engine) as session:
        first = ledger.claim_shard(session, rid, 0, owner="a", lease_seconds=60)
    with session_scope(runs_engine) as session:
        second = ledger.claim_shard(session, rid, 0, owner="b", lease_seconds=60)
    assert first.granted and first.attempts == 1
    assert not second.granted and second.reason == "leased"
    with session_scope(runs_engine) as session:
        session.execute(
            update(Shard)
            .where(Shard.run_id == rid, Shard.shard_no == 0)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    with session_scope(runs_engine) as session:
        third = ledger.claim_shard(session, rid, 0, owner="b", lease_seconds=60)
        run = session.get(Run, rid)
        assert run is not None and run.status == "running"
    assert third.granted and third.attempts == 2


def test_writing_a_shard_twice_keeps_one_result_per_case(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    shard = planned.shards[0]
    rows = [row(c) for c in shard.case_ids]
    for owner in ("a", "b"):
        with session_scope(runs_engine) as session:
            finalised = ledger.write_shard_results(
                session, planned.run_id, 0, rows + rows[:1], owner=owner
            )
        assert not finalised
    assert result_count(runs_engine, planned.run_id) == len(shard.case_ids)
    with session_scope(runs_engine) as session:
        assert ledger.done_case_ids(session, planned.run_id, shard.case_ids) == set(shard.case_ids)
        again = ledger.claim_shard(session, planned.run_id, 0, owner="c", lease_seconds=60)
    assert not again.granted and again.reason == "done"


def test_a_shard_delivered_too_often_is_given_up(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    claims = []
    for i in range(ledger.MAX_DELIVERIES + 1):
        with session_scope(runs_engine) as session:
            claims.append(
                ledger.claim_shard(session, planned.run_id, 0, owner=f"w{i}", lease_seconds=0)
            )
    assert all(c.granted for c in claims[:-1])
    assert claims[-1].reason == "failed"


def test_the_sweep_requeues_expired_leases_and_lost_messages_once(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    rid = planned.run_id
    with session_scope(runs_engine) as session:
        assert ledger.claim_shard(session, rid, 0, owner="dead", lease_seconds=60).granted
        past = utcnow() - timedelta(seconds=runs_settings.lease_seconds + 5)
        session.execute(
            update(Shard)
            .where(Shard.run_id == rid, Shard.shard_no == 0)
            .values(lease_expires_at=past)
        )
        session.execute(
            update(Shard).where(Shard.run_id == rid, Shard.shard_no == 1).values(updated_at=past)
        )
    sent: list[ShardSpec] = []

    def send(_settings: Settings, specs: object) -> int:
        sent.extend(specs)  # type: ignore[arg-type]
        return len(sent)

    report = sweep(runs_settings, runs_engine, send=send)
    mine = sorted(s.shard_no for s in sent if s.run_id == rid)
    assert mine == [0, 1] and report.requeued >= 2
    sent.clear()
    sweep(runs_settings, runs_engine, send=send)
    assert not [s for s in sent if s.run_id == rid]
    with session_scope(runs_engine) as session:
        shard = session.get(Shard, (rid, 0))
        assert shard is not None and shard.status == "queued" and shard.lease_owner is None


def test_cancel_then_resume_requeues_only_shards_with_missing_results(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    planned = plan(runs_settings, runs_engine, suite_spec)
    rid = planned.run_id
    with session_scope(runs_engine) as session:
        ledger.write_shard_results(
            session, rid, 0, [row(c) for c in planned.shards[0].case_ids], owner="a"
        )
    with session_scope(runs_engine) as session:
        status = cancel_run(session, str(rid)[:12])
    assert status.status == "cancelled" and status.done == len(planned.shards[0].case_ids)
    with session_scope(runs_engine) as session:
        claim = ledger.claim_shard(session, rid, 1, owner="w", lease_seconds=60)
        assert not claim.granted and claim.reason == "cancelled"
    with session_scope(runs_engine) as session, pytest.raises(RunError, match="already cancelled"):
        cancel_run(session, rid)
    with session_scope(runs_engine) as session:
        specs = plan_resume(session, rid)
        run = session.get(Run, rid)
        assert run is not None and run.status in ("pending", "running")
    assert [s.shard_no for s in specs] == list(range(1, len(planned.shards)))


def test_an_unknown_or_ambiguous_run_id_is_a_one_line_error(runs_engine, mini_suite):
    with session_scope(runs_engine) as session:
        with pytest.raises(RunError, match="no run"):
            ledger.get_run(session, str(uuid.uuid4()))
        with pytest.raises(RunError, match="no run matches .zz."):
            ledger.get_run(session, "zz")


def test_a_poison_shard_is_recorded_as_errors_and_the_run_ends_incomplete(
    runs_settings, runs_engine, mini_suite, suite_spec
):
    import asyncio

    from farm.shards import ShardEnv, execute_shard

    planned = plan(runs_settings, runs_engine, suite_spec, shard_size=100)
    assert len(planned.shards) == 1
    shard = planned.shards[0]
    for i in range(ledger.MAX_DELIVERIES):
        with session_scope(runs_engine) as session:
            ledger.claim_shard(session, planned.run_id, 0, owner=f"crashed-{i}", lease_seconds=0)
    env = ShardEnv(
        engine=runs_engine,
        spec=lookup_model(runs_settings, "simulator"),
        pool=None,  # type: ignore[arg-type]  # never reached: the claim is refused
        worker="w",
    )
    outcome = asyncio.run(execute_shard(env, shard))
    assert outcome.status == "failed" and outcome.written == len(shard.case_ids)
    assert outcome.finalised
    with session_scope(runs_engine) as session:
        kinds = set(
            session.scalars(select(Result.inference_error).where(Result.run_id == planned.run_id))
        )
        valid = set(session.scalars(select(Result.valid).where(Result.run_id == planned.run_id)))
        run = session.get(Run, planned.run_id)
        assert run is not None and run.status == "incomplete"
    assert kinds == {"shard_abandoned"}
    assert valid == {None}  # no verdict, never credit
