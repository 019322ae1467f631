"""Fault handling of one endpoint, faked at the transport layer (no sockets)."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from farm.config import load_settings
from farm.endpoints.client import RetryPolicy
from farm.endpoints.pool import EndpointPool, RequestRejected, RetriesExhausted
from farm.endpoints.types import CompletionRequest
from farm.models.registry import EndpointConfig, ModelSpec

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002, timeout=5)
REQUEST = CompletionRequest(
    messages=[{"role": "user", "content": "hi"}], generation={"temperature": 0.001}
)


def ok_body(**message):
    message.setdefault("content", None)
    return {
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3},
    }


def scripted(*steps):
    """A MockTransport playing ``steps`` in order (responses or exceptions), recording requests."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, Exception):
            raise step
        status, body = step
        return httpx.Response(
            status, content=body if isinstance(body, bytes) else json.dumps(body).encode()
        )

    return httpx.MockTransport(handler), seen


def run(spec, transport, request=REQUEST, **kwargs):
    async def go():
        async with EndpointPool(
            spec, load_settings(), policy=FAST, transport=transport, **kwargs
        ) as pool:
            return await pool.complete(request), pool.stats()

    return asyncio.run(go())


def spec_for(*urls, **fields):
    return ModelSpec(
        key="m",
        served_name="served/m",
        endpoints=[EndpointConfig(base_url=u) for u in urls],
        **fields,
    )


def test_a_500_is_retried_and_the_answer_counts_its_attempts(farm_home):
    call = {"id": "c1", "type": "function", "function": {"name": "f_g", "arguments": '{"a": 1}'}}
    transport, seen = scripted((500, b"boom"), (200, ok_body(tool_calls=[call])))
    completion, stats = run(spec_for("http://a/v1"), transport)
    assert completion.attempts == 2
    assert [(c.name, c.arguments) for c in completion.tool_calls] == [("f_g", '{"a": 1}')]
    assert (completion.input_tokens, completion.output_tokens) == (11, 3)
    assert stats[0].requests == 2 and stats[0].errors == 1 and stats[0].retries == 1
    body = json.loads(seen[0].content)
    assert body["model"] == "served/m" and body["temperature"] == 0.001
    assert seen[0].url.path == "/v1/chat/completions"


@pytest.mark.parametrize(
    "fault",
    [
        (429, b"slow down"),
        (503, b"unavailable"),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
)
def test_transient_failures_are_retried(farm_home, fault):
    transport, seen = scripted(fault, (200, ok_body(content="[f(a=1)]")))
    completion, _ = run(spec_for("http://a/v1"), transport)
    assert completion.content == "[f(a=1)]" and completion.attempts == 2 and len(seen) == 2


def test_a_4xx_is_final_at_once(farm_home):
    transport, seen = scripted((400, b'{"error": "context length exceeded"}'))
    with pytest.raises(RequestRejected, match="HTTP 400: .*context length") as info:
        run(spec_for("http://a/v1"), transport)
    assert info.value.attempts == 1 and len(seen) == 1 and info.value.status == 400


def test_attempts_are_bounded(farm_home):
    transport, seen = scripted((502, b"bad gateway"))
    with pytest.raises(RetriesExhausted, match="gave up after 3 attempts") as info:
        run(spec_for("http://a/v1"), transport)
    assert info.value.attempts == 3 and len(seen) == 3


@pytest.mark.parametrize(
    "body", [b"not json", b'{"choices": []}', b'{"choices": [{"message": 3}]}']
)
def test_a_malformed_answer_is_a_permanent_error(farm_home, body):
    transport, _ = scripted((200, body))
    with pytest.raises(RequestRejected):
        run(spec_for("http://a/v1"), transport)


def test_a_failing_endpoint_hands_its_requests_to_another(farm_home):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "bad":
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json=ok_body(content="x"))

    spec = spec_for("http://bad/v1", "http://good/v1")

    async def go():
        async with EndpointPool(
            spec,
            load_settings(),
            policy=FAST,
            transport=httpx.MockTransport(handler),
            failure_threshold=2,
        ) as pool:
            done = await asyncio.gather(*(pool.complete(REQUEST) for _ in range(20)))
            return done, pool.stats()

    done, stats = asyncio.run(go())
    assert all(c.endpoint == "http://good" for c in done)
    bad, good = stats
    assert good.requests == 20 and good.errors == 0
    assert bad.errors >= 1 and bad.cooling_down
    assert good.latency_p50 is not None and good.latency_p95 is not None


def test_the_key_is_sent_but_never_logged(farm_home, monkeypatch, caplog):
    monkeypatch.setenv("MY_SECRET_KEY", "sk-very-secret-42")
    transport, seen = scripted((500, b"err"), (200, ok_body(content="ok")))
    spec = ModelSpec(
        key="m", endpoints=[EndpointConfig(base_url="http://a/v1", api_key_env="MY_SECRET_KEY")]
    )
    with caplog.at_level(logging.DEBUG):
        run(spec, transport)
    assert seen[0].headers["authorization"] == "Bearer sk-very-secret-42"
    assert "sk-very-secret-42" not in caplog.text
    assert "sk-very-secret-42" not in spec.model_dump_json()


def test_prompt_text_goes_to_the_completions_path(farm_home):
    transport, seen = scripted((200, {"choices": [{"text": "[f()]", "finish_reason": "stop"}]}))
    completion, _ = run(spec_for("http://a/v1"), transport, request=CompletionRequest(prompt="Q"))
    assert completion.content == "[f()]" and seen[0].url.path == "/v1/completions"


def test_a_pool_survives_being_used_from_a_second_event_loop(farm_home, single_turn):
    from farm.simulator.server import SimulatorConfig, running_simulator

    with running_simulator(single_turn[:1], SimulatorConfig()) as sim:
        pool = EndpointPool(spec_for(sim.base_url), load_settings(), policy=FAST)
        first = asyncio.run(pool.complete(REQUEST))
        second = asyncio.run(pool.complete(REQUEST))
        asyncio.run(pool.aclose())
    assert first.content and second.content
