"""The simulator over real HTTP on loopback, driven through infer_case and scored."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from farm.answers.ground_truth import is_wrong
from farm.config import load_settings
from farm.endpoints.pool import EndpointPool
from farm.inference import infer_case
from farm.models.registry import EndpointConfig, ModelSpec
from farm.scoring import score_case
from farm.simulator.server import SimulatorConfig, running_simulator


def spec_at(url: str, mode: str, **fields) -> ModelSpec:
    return ModelSpec(key="sim", mode=mode, endpoints=[EndpointConfig(base_url=url)], **fields)


async def infer_all(cases, spec):
    async with EndpointPool(spec, load_settings()) as pool:
        return await asyncio.gather(*(infer_case(c, spec, pool) for c in cases))


@pytest.fixture(scope="module")
def simulator(single_turn):
    with running_simulator(single_turn, SimulatorConfig()) as handle:
        yield handle


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_every_single_turn_answer_decodes_and_scores_correct(
    farm_home, simulator, single_turn, mode
):
    spec = spec_at(simulator.base_url, mode)
    outcomes = asyncio.run(infer_all(single_turn, spec))
    for case, outcome in zip(single_turn, outcomes, strict=True):
        assert outcome.ok and outcome.attempts == 1 and outcome.input_tokens > 0
        verdict = score_case(
            case, outcome.raw_output, mode=mode, underscore_to_dot=spec.dots_replaced
        )
        assert verdict.valid, (case.case_id, outcome.raw_output, verdict)


def test_fc_answers_are_tool_call_lists_and_prompt_answers_are_python_text(
    farm_home, simulator, single_turn
):
    case = next(c for c in single_turn if c.case_id == "parallel_0")
    (fc,) = asyncio.run(infer_all([case], spec_at(simulator.base_url, "fc")))
    (prompt,) = asyncio.run(infer_all([case], spec_at(simulator.base_url, "prompt")))
    assert fc.raw_output == [
        {"weather_forecast": '{"city": "Paris", "days": 1}'},
        {"weather_forecast": '{"city": "Rome", "days": 1}'},
    ]
    assert (
        prompt.raw_output
        == "[weather.forecast(city='Paris', days=1), weather.forecast(city='Rome', days=1)]"
    )
    irrelevant = next(c for c in single_turn if c.category == "irrelevance")
    (no_call,) = asyncio.run(infer_all([irrelevant], spec_at(simulator.base_url, "fc")))
    assert isinstance(no_call.raw_output, str)


def test_the_wrong_answer_rate_is_seeded_and_deterministic(farm_home, single_turn):
    config = SimulatorConfig(wrong_rate=0.5, seed=7)
    # A case offering no function cannot be answered wrongly in any way.
    expected_wrong = {
        c.case_id for c in single_turn if c.functions and is_wrong(c.case_id, rate=0.5, seed=7)
    }
    assert 0 < len(expected_wrong) < len(single_turn)
    with running_simulator(single_turn, config) as sim:
        spec = spec_at(sim.base_url, "fc")
        first = asyncio.run(infer_all(single_turn, spec))
        second = asyncio.run(infer_all(single_turn, spec))
    assert [o.raw_output for o in first] == [o.raw_output for o in second]
    wrong = {
        c.case_id
        for c, o in zip(single_turn, first, strict=True)
        if not score_case(c, o.raw_output, mode="fc", underscore_to_dot=True).valid
    }
    assert wrong == expected_wrong


def test_it_says_it_is_a_simulator_and_serves_the_side_endpoints(farm_home, simulator):
    root = simulator.base_url.removesuffix("/v1")
    with httpx.Client() as client:
        models = client.get(f"{simulator.base_url}/models")
        assert models.headers["server"].startswith("farm-simulator/")
        assert "simulator" in models.headers["server"]
        (entry,) = models.json()["data"]
        assert entry["id"] == "farm-simulator" and entry["simulator"] is True
        assert client.get(f"{root}/health").status_code == 200
        text = client.post(
            f"{simulator.base_url}/completions",
            json={
                "model": "x",
                "prompt": "<user>Compute the area of a circle of radius 3 meters.</user>",
            },
        )
        assert text.status_code == 200 and text.json()["object"] == "text_completion"
        emb = client.post(f"{simulator.base_url}/embeddings", json={"input": ["a b", "a b", "zzz"]})
        vectors = [d["embedding"] for d in emb.json()["data"]]
        assert vectors[0] == vectors[1] != vectors[2]
        bad = client.post(f"{simulator.base_url}/chat/completions", content=b"[1, 2")
        assert bad.status_code == 400
        metrics = client.get(f"{root}/metrics").text
    for name in (
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:prompt_tokens_total",
        "vllm:generation_tokens_total",
        "vllm:e2e_request_latency_seconds_bucket",
        "vllm:request_success_total",
        "vllm:kv_cache_usage_perc",
    ):
        assert f'{name}{{model_name="farm-simulator"' in metrics


def test_requests_beyond_capacity_wait_in_a_queue(farm_home, single_turn):
    config = SimulatorConfig(capacity=2, latency_s=0.2)
    with running_simulator(single_turn[:6], config) as sim:
        spec = spec_at(sim.base_url, "fc", max_concurrency=6)
        start = time.perf_counter()
        outcomes = asyncio.run(infer_all(single_turn[:6], spec))
        elapsed = time.perf_counter() - start
        assert sim.simulator is not None
        assert sim.simulator.metrics.queue.n == 6
    assert all(o.ok for o in outcomes)
    assert 0.6 <= elapsed < 2.0  # three waves of two


def test_a_subprocess_simulator_answers_like_the_threaded_one(farm_home, single_turn):
    with running_simulator(single_turn, SimulatorConfig(subprocess=True, latency_s=0.01)) as sim:
        outcomes = asyncio.run(infer_all(single_turn, spec_at(sim.base_url, "prompt")))
    for case, outcome in zip(single_turn, outcomes, strict=True):
        assert score_case(case, outcome.raw_output, mode="prompt", underscore_to_dot=False).valid


def test_an_unknown_question_gets_a_plain_text_answer(farm_home, simulator):
    with httpx.Client() as client:
        r = client.post(
            f"{simulator.base_url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "who am i?"}]},
        )
    message = r.json()["choices"][0]["message"]
    assert "tool_calls" not in message and "no such case" in message["content"]


def test_named_tool_choice_returns_only_that_tool(farm_home, simulator, single_turn):
    case = next(c for c in single_turn if c.case_id == "parallel_multiple_0")
    spec = spec_at(simulator.base_url, "fc")
    from farm.inference import build_request

    req = build_request(case, spec)
    body = {
        "model": "m",
        "messages": req.messages,
        "tools": req.tools,
        "tool_choice": {"type": "function", "function": {"name": "timer_start"}},
    }
    with httpx.Client() as client:
        calls = client.post(f"{simulator.base_url}/chat/completions", json=body).json()
    names = [c["function"]["name"] for c in calls["choices"][0]["message"]["tool_calls"]]
    assert names == ["timer_start"]
    assert json.loads(calls["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]) == {
        "minutes": 7
    }
