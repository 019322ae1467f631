"""Retries and failover against real simulators on loopback, with injected faults."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from farm.config import load_settings
from farm.endpoints.client import RetryPolicy
from farm.endpoints.pool import EndpointPool
from farm.inference import PERMANENT, TRANSIENT, infer_case
from farm.models.registry import EndpointConfig, ModelSpec
from farm.scoring import score_case
from farm.simulator.server import SimulatorConfig, running_simulator

POLICY = RetryPolicy(
    max_attempts=3, base_delay=0.01, max_delay=0.05, timeout=0.5, connect_timeout=0.5
)


def spec_at(*urls: str, mode: str = "fc", concurrency: int = 16) -> ModelSpec:
    return ModelSpec(
        key="sim",
        mode=mode,
        max_concurrency=concurrency,
        endpoints=[EndpointConfig(base_url=u) for u in urls],
    )


async def infer_all(cases, spec, **pool_options):
    async with EndpointPool(spec, load_settings(), policy=POLICY, **pool_options) as pool:
        outcomes = await asyncio.gather(*(infer_case(c, spec, pool) for c in cases))
        return outcomes, pool.stats()


@pytest.mark.parametrize("kind", ["5xx", "drop", "hang"])
def test_injected_faults_are_recovered_within_the_attempt_bound(farm_home, single_turn, kind):
    cases = single_turn[:8]
    config = SimulatorConfig(fail_first=2, fail_kind=kind, hang_s=5)
    with running_simulator(cases, config) as sim:
        start = time.perf_counter()
        outcomes, stats = asyncio.run(infer_all(cases, spec_at(sim.base_url)))
        elapsed = time.perf_counter() - start
    for case, outcome in zip(cases, outcomes, strict=True):
        assert outcome.ok, outcome.error_message
        assert outcome.attempts == 3
        assert score_case(case, outcome.raw_output, mode="fc", underscore_to_dot=True).valid
    assert stats[0].errors == 16 and stats[0].retries == 16
    assert elapsed < 4.0  # hangs are cut by the 0.5 s timeout, never waited out


def test_a_case_whose_attempts_run_out_becomes_an_error_row_not_output(farm_home, single_turn):
    cases = single_turn[:3]
    with running_simulator(cases, SimulatorConfig(fail_first=5)) as sim:
        outcomes, _ = asyncio.run(infer_all(cases, spec_at(sim.base_url)))
    for outcome in outcomes:
        assert outcome.raw_output is None and outcome.error_type == TRANSIENT
        assert outcome.attempts == 3 and "HTTP 500" in outcome.error_message
        assert "\n" not in outcome.error_message


def test_a_4xx_answer_is_final(farm_home, single_turn):
    with running_simulator(single_turn[:1], SimulatorConfig()) as sim:
        wrong_path = sim.base_url.removesuffix("/v1") + "/nope/v1"
        outcomes, _ = asyncio.run(infer_all(single_turn[:1], spec_at(wrong_path)))
    (outcome,) = outcomes
    assert outcome.error_type == PERMANENT and outcome.attempts == 1 and outcome.raw_output is None


def test_a_pool_of_three_with_one_killed_mid_run_loses_no_case(farm_home, single_turn):
    cases = [
        dataclasses.replace(
            c,
            case_id=f"{c.case_id}#{i}",
            turns=[[{**m, "content": f"{m['content']} #{i}"} for m in c.turns[0]]],
        )
        for i in range(6)
        for c in single_turn
    ]
    config = SimulatorConfig(subprocess=True, capacity=4, latency_s=0.05)
    with (
        running_simulator(cases, config) as a,
        running_simulator(cases, config) as b,
        running_simulator(cases, config) as victim,
    ):
        spec = spec_at(a.base_url, b.base_url, victim.base_url, concurrency=4)

        async def scenario():
            async with EndpointPool(spec, load_settings(), policy=POLICY, cooldown_s=30) as pool:
                tasks = [asyncio.ensure_future(infer_case(c, spec, pool)) for c in cases]
                while sum(t.done() for t in tasks) < len(cases) // 4:
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(victim.kill)
                return await asyncio.gather(*tasks), pool.stats()

        outcomes, stats = asyncio.run(scenario())
    assert len(outcomes) == len(cases) == 6 * len(single_turn)
    for case, outcome in zip(cases, outcomes, strict=True):
        assert outcome.ok, (case.case_id, outcome.error_message)
        assert score_case(case, outcome.raw_output, mode="fc", underscore_to_dot=True).valid
    killed = stats[2]
    assert killed.errors >= 1 and killed.cooling_down
    assert sum(s.requests - s.errors for s in stats) == len(cases)
    assert all(s.in_flight == 0 for s in stats)


def test_random_faults_are_seeded_and_retried_away(farm_home, single_turn):
    config = SimulatorConfig(fault_rate=0.3, fault_kinds=("5xx", "drop"), seed=3)
    policy = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01, timeout=2)
    with running_simulator(single_turn, config) as sim:
        spec = spec_at(sim.base_url)

        async def go():
            async with EndpointPool(spec, load_settings(), policy=policy) as pool:
                return await asyncio.gather(*(infer_case(c, spec, pool) for c in single_turn))

        outcomes = asyncio.run(go())
        assert sim.simulator is not None
        served = sim.simulator.metrics.http
    assert all(o.ok for o in outcomes)
    retried = sum(o.attempts - 1 for o in outcomes)
    assert retried == served[("/v1/chat/completions", 500)] > 0


def test_latency_grows_with_generated_tokens(farm_home, single_turn):
    case = next(c for c in single_turn if c.case_id == "parallel_1")
    with running_simulator([case], SimulatorConfig(per_token_s=0.02)) as sim:
        ((outcome,), _) = asyncio.run(infer_all([case], spec_at(sim.base_url)))
    assert outcome.ok and outcome.latency_s >= 0.02 * outcome.output_tokens > 0.1
