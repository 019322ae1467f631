"""Endpoint backends: one abstract method, ``complete``; everything else has a default.

:class:`HttpEndpoint` talks the OpenAI protocol over one lazily created
:class:`httpx.AsyncClient` (one connection pool) and one concurrency limit per endpoint.
Foreign errors are mapped at this boundary, in :mod:`farm.endpoints.wire` and here, to
:class:`~farm.errors.EndpointTransient` (timeouts, connection errors, 429, 5xx: retried by
the pool with capped exponential backoff) or :class:`~farm.errors.EndpointPermanent` (other
4xx, malformed responses: final). Backends are registered by name in :mod:`farm.backends`;
:func:`make_endpoint` builds the one a model names.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from farm.backends import endpoint_backend_for, load_target
from farm.endpoints.base import Endpoint as Endpoint  # re-exported: the backend base
from farm.endpoints.base import RetryPolicy as RetryPolicy  # re-exported
from farm.endpoints.env import resolve_api_key
from farm.endpoints.types import Completion, CompletionRequest, ToolCall
from farm.endpoints.wire import AiohttpWire, HttpxWire, Wire
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient
from farm.models.registry import EndpointConfig, ModelSpec


def make_endpoint(config: EndpointConfig, spec: ModelSpec, policy: RetryPolicy) -> Endpoint:
    """Build the endpoint object that talks to a model of ``spec.backend``.

    The implementation comes from the backend registry (:mod:`farm.backends`), loaded on
    first use; a server backend is talked to through its protocol's endpoint backend.

    Raises:
        ConfigError: for an unknown backend, or one whose implementation cannot be loaded.
    """
    entry = endpoint_backend_for(spec.backend)
    what = f"endpoint backend {entry.name!r}"
    cls = load_target(entry.target, what=what, requires=entry.requires)
    if not (isinstance(cls, type) and issubclass(cls, Endpoint)):
        raise ConfigError(f"{what}: {entry.target} is not an Endpoint class")
    return cls(config, spec, policy)


def _status_error(label: str, status: int, body: bytes) -> EndpointPermanent | EndpointTransient:
    text = body.decode("utf-8", "replace").strip().replace("\n", " ")[:300]
    message = f"{label}: HTTP {status}: {text}"
    if status == 429 or status >= 500:
        return EndpointTransient(message, status=status)
    return EndpointPermanent(message, status=status)


def read_tool_calls(raw_calls: Any) -> tuple[tuple[ToolCall, ...], tuple[str, ...]]:
    """The ``tool_calls`` of a message, and the protocol deviations seen in them.

    ``arguments`` given as a JSON object instead of a string is accepted, re-serialised and
    flagged ``arguments_object``; a missing ``arguments`` reads as ``{}`` and is flagged
    ``arguments_missing``. Arguments that are no JSON object (an array, a number, a
    double-encoded string) are kept as sent and flagged ``arguments_not_object``, a string
    that is not JSON ``arguments_invalid_json``: BFCL scores such a call as no call on
    irrelevance cases, so the flag is what shows the endpoint made one.

    Raises:
        KeyError, TypeError: an entry without ``function.name`` (a malformed response).
    """
    calls: list[ToolCall] = []
    deviations: list[str] = []
    for call in raw_calls:
        function = call["function"]
        name = function["name"]
        if not isinstance(name, str):
            raise TypeError("tool call name is not a string")
        arguments = function.get("arguments")
        if arguments is None or arguments == "":
            arguments = "{}"
            deviations.append("arguments_missing")
        elif not isinstance(arguments, str):
            deviations.append(
                "arguments_object" if isinstance(arguments, dict) else "arguments_not_object"
            )
            arguments = json.dumps(arguments, ensure_ascii=False)
        else:
            deviation = _arguments_text_deviation(arguments)
            if deviation:
                deviations.append(deviation)
        calls.append(ToolCall(name=name, arguments=arguments, id=call.get("id") or ""))
    return tuple(calls), tuple(dict.fromkeys(deviations))


def _arguments_text_deviation(arguments: str) -> str | None:
    """``arguments_invalid_json`` / ``arguments_not_object`` for an arguments string."""
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        return "arguments_invalid_json"
    return None if isinstance(value, dict) else "arguments_not_object"


def _error_code(error: Any) -> int | None:
    """The HTTP-like ``code`` of an error object (int or digits), if it has one."""
    code = error.get("code") if isinstance(error, dict) else None
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit() and len(code) == 3:
        return int(code)
    return None


def parse_completion(body: Any, *, label: str, chat: bool) -> Completion:
    """Read an OpenAI chat or text completion body.

    Raises:
        EndpointTransient: a 200 whose body is an error object with code 429 or 5xx.
        EndpointPermanent: if the body does not have the protocol's shape, or is another
            error object.
    """
    if isinstance(body, dict) and body.get("error") and not body.get("choices"):
        error = body["error"]
        what = error.get("message") if isinstance(error, dict) else error
        message = f"{label}: error in a 200 answer: {str(what)[:200]}"
        code = _error_code(error)
        if code is not None and (code == 429 or code >= 500):
            # Gateways (e.g. OpenRouter) report an upstream overload this way: retried.
            raise EndpointTransient(message, status=code)
        raise EndpointPermanent(message)
    if isinstance(body, dict) and body.get("choices") == []:
        raise EndpointPermanent(f"{label}: malformed response: no choices")
    try:
        choice = body["choices"][0]
        usage = body.get("usage") or {}
        if chat:
            message = choice["message"]
            calls, deviations = read_tool_calls(message.get("tool_calls") or ())
            content = message.get("content")
            reasoning = message.get("reasoning_content") or message.get("reasoning")
        else:
            calls, content, deviations, reasoning = (), choice["text"], (), None
        return Completion(
            content=content,
            tool_calls=calls,
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            endpoint=label,
            finish_reason=choice.get("finish_reason"),
            reasoning=reasoning if isinstance(reasoning, str) else None,
            deviations=deviations,
        )
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise EndpointPermanent(f"{label}: malformed response: {exc!r}"[:300]) from exc


class HttpEndpoint(Endpoint):
    """An OpenAI-compatible server reached over HTTP.

    The wire (connection pool) and the concurrency limit are created on first use, in the
    running event loop. With ``transport`` the wire is httpx over that transport (tests).
    """

    def __init__(
        self,
        config: EndpointConfig,
        spec: ModelSpec,
        policy: RetryPolicy,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, spec, policy)
        self._transport = transport
        self._wire: Wire | None = None
        self._limit: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _get_wire(self) -> tuple[Wire, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections and limits belong to one event loop
            self._wire, self._limit, self._loop = None, None, loop
        if self._wire is None or self._limit is None:
            headers = {"Content-Type": "application/json"}
            key = resolve_api_key(self.config)
            if key:
                headers["Authorization"] = f"Bearer {key}"
            options: dict[str, Any] = {
                "max_connections": self.max_concurrency,
                "timeout": self.policy.timeout,
                "connect_timeout": self.policy.connect_timeout,
                "label": self.label,
            }
            if self._transport is not None:
                self._wire = HttpxWire(
                    self.config.base_url, headers, transport=self._transport, **options
                )
            else:
                self._wire = AiohttpWire(self.config.base_url, headers, **options)
            self._limit = asyncio.Semaphore(self.max_concurrency)
        return self._wire, self._limit

    def payload(self, request: CompletionRequest) -> tuple[str, dict[str, Any]]:
        """The path and JSON body for ``request``."""
        body: dict[str, Any] = {"model": self.spec.request_model, **request.generation}
        if request.messages is not None:
            body["messages"] = request.messages
            if request.tools:
                body["tools"] = request.tools
                if request.tool_choice is not None:
                    body["tool_choice"] = request.tool_choice
            return "/chat/completions", body
        body["prompt"] = request.prompt or ""
        return "/completions", body

    async def complete(self, request: CompletionRequest) -> Completion:
        """POST the request once and parse the answer."""
        wire, limit = self._get_wire()
        path, body = self.payload(request)
        async with limit:
            status, content = await wire.request("POST", path, json.dumps(body).encode())
        data = self._decode(status, content, path)
        return parse_completion(data, label=self.label, chat=request.messages is not None)

    def _decode(self, status: int, content: bytes, path: str) -> Any:
        if status != 200:
            raise _status_error(self.label, status, content)
        try:
            return json.loads(content)
        except ValueError as exc:
            raise EndpointPermanent(f"{self.label}: {path} answered with non-JSON") from exc

    async def get_json(self, path: str) -> Any:
        """GET a JSON document (``/models``) from the endpoint, mapped like requests."""
        wire, _ = self._get_wire()
        status, content = await wire.request("GET", path)
        return self._decode(status, content, path)

    async def get_status(self, path: str) -> int:
        """The status of a GET relative to the server root (``/health``), not the API root."""
        wire, _ = self._get_wire()
        status, _ = await wire.request("GET", path, root=True)
        return status

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._wire is not None:
            await self._wire.aclose()
            self._wire = None
            self._limit = None
