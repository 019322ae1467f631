"""Multi-turn cases run through real ``farm worker`` processes, Redis and PostgreSQL, and
survive a worker killed in the middle of a conversation."""

from __future__ import annotations

import json
import signal
import time
import uuid

from sqlalchemy import func, select

from farm.db.engine import session_scope
from farm.db.models import Result, Run, Shard
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.runs.conftest import Workers, farm_cli, result_count, wait_until


def test_a_worker_killed_mid_conversation_loses_nothing_and_the_rerun_scores_every_case(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
):
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=["multi_turn"])
    assert len(cases) >= 4
    with running_simulator(cases, SimulatorConfig(latency_s=0.7)) as sim:
        victim = workers.start(sim.base_url, shards="1")
        done = farm_cli(
            runs_settings, "submit", "--model", "simulator", "--suite", suite_spec,
            "-c", "multi_turn", "--shard-size", str(len(cases)), "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])

        def running() -> bool:
            with session_scope(runs_engine) as session:
                return bool(
                    session.scalar(
                        select(func.count())
                        .select_from(Shard)
                        .where(Shard.run_id == run_id, Shard.status == "running")
                    )
                )

        wait_until(running, 30, "the first worker to start the shard")
        time.sleep(1.0)  # some conversations are past their first step
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert result_count(runs_engine, run_id) == 0
        workers.start(sim.base_url)

        def finished() -> bool:
            with session_scope(runs_engine) as session:
                run = session.get(Run, run_id)
                return run is not None and run.status == "done"

        wait_until(finished, 90, f"run {run_id} to finish")
    with session_scope(runs_engine) as session:
        rows = list(session.scalars(select(Result).where(Result.run_id == run_id)))
        attempts = [
            s.attempts for s in session.scalars(select(Shard).where(Shard.run_id == run_id))
        ]
    assert sorted(r.case_id for r in rows) == sorted(c.case_id for c in cases)
    assert max(attempts) >= 2
    for row in rows:
        assert row.inference_error is None, (row.case_id, row.inference_message)
        assert row.valid, (row.case_id, row.error_type, row.error_detail)
        assert isinstance(row.raw_output, list) and all(isinstance(t, list) for t in row.raw_output)
