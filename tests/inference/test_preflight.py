"""The start-up check of an endpoint, faked at the transport layer: every way an endpoint
can be dead is one line naming it and the cause."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from farm.config import load_settings
from farm.endpoints.preflight import preflight
from farm.errors import EndpointDead
from farm.models.registry import EndpointConfig, ModelSpec

SPEC = ModelSpec(
    key="my-model", endpoints=[EndpointConfig(base_url="http://gpu1:8000/v1")], max_attempts=1
)
LISTING = {"object": "list", "data": [{"id": "my-model", "object": "model"}]}
ANSWER = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1},
}


def serve(models: httpx.Response, chat: httpx.Response | Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/models"):
            return models
        if isinstance(chat, Exception):
            raise chat
        return chat

    return httpx.MockTransport(handler)


def check(transport: httpx.MockTransport) -> None:
    asyncio.run(preflight(SPEC, load_settings(), timeout=5, transport=transport))


def test_an_endpoint_that_lists_the_model_and_answers_passes(farm_home) -> None:
    check(serve(httpx.Response(200, json=LISTING), httpx.Response(200, json=ANSWER)))


@pytest.mark.parametrize(
    ("models", "chat", "cause"),
    [
        (httpx.Response(404), httpx.Response(404, json={"error": "no"}), "HTTP 404"),
        (httpx.Response(200, json=LISTING), httpx.Response(500), "HTTP 500"),
        (
            httpx.Response(200, json=LISTING),
            httpx.Response(200, json={"error": {"message": "overloaded"}}),
            "error in a 200 answer: overloaded",
        ),
        (httpx.Response(200, json=LISTING), httpx.Response(200, json={"choices": []}), "malformed"),
        (
            httpx.Response(200, json={"data": [{"id": "other"}]}),
            httpx.Response(404, json={"error": "model not found"}),
            "(it serves other, not 'my-model')",
        ),
    ],
    ids=["wrong-url-404", "http-500", "200-error-body", "200-no-choices", "another-model"],
)
def test_a_dead_endpoint_is_one_line_naming_it_and_the_cause(
    farm_home, models: httpx.Response, chat: httpx.Response, cause: str
) -> None:
    with pytest.raises(EndpointDead) as caught:
        check(serve(models, chat))
    line = str(caught.value)
    assert line.startswith("endpoint http://gpu1:8000: ") and "\n" not in line
    assert cause in line, line


def test_a_refused_connection_is_named_as_such(farm_home) -> None:
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    with pytest.raises(EndpointDead, match=r"request failed: connection refused$"):
        check(serve(httpx.Response(200, json=LISTING), refused))
    with pytest.raises(EndpointDead, match=r"^endpoint http://gpu1:8000: connection refused$"):
        check(httpx.MockTransport(lambda request: (_ for _ in ()).throw(refused)))
