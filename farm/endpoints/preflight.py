"""Fail fast: check a model's endpoints before a run plans or a worker takes shards.

Each endpoint must be reachable and answer one tiny chat request for the served name; when
``GET /models`` does not list that name, the failure line says what it serves instead
(a server that answers for an unlisted name, like a gateway, is let through). A failure
is one line naming the endpoint and the cause, e.g. ``endpoint
http://127.0.0.1:18199: connection refused``. See layer 3 of :mod:`farm.failures`.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from farm.config import Settings
from farm.endpoints.client import HttpEndpoint
from farm.endpoints.pool import EndpointPool
from farm.endpoints.types import CompletionRequest
from farm.errors import EndpointDead, EndpointError, EndpointTransient
from farm.failures import RetryPolicy, short_reason
from farm.models.registry import ModelSpec

log = logging.getLogger(__name__)

#: Seconds each check may take (the tiny request of a cold server included).
PREFLIGHT_TIMEOUT = 60.0
#: The tiny request: one short user message, a few tokens back.
PING = CompletionRequest(
    messages=[{"role": "user", "content": "Reply with the word OK."}],
    generation={"max_tokens": 8, "temperature": 0.0},
)


async def preflight(
    spec: ModelSpec,
    settings: Settings,
    *,
    timeout: float | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Check every endpoint of ``spec`` (concurrently); return when all answered.

    ``transport`` replaces the network for every HTTP endpoint (unit tests).

    Raises:
        EndpointDead: one line naming the first endpoint that failed and why.
    """
    limit = min(timeout or PREFLIGHT_TIMEOUT, settings.request_timeout)
    policy = RetryPolicy(max_attempts=2, timeout=limit, connect_timeout=min(5.0, limit))
    async with EndpointPool(spec, settings, policy=policy, transport=transport) as pool:
        outcomes = await asyncio.gather(
            *(_check_one(endpoint, spec) for endpoint in pool.endpoints),
            return_exceptions=True,
        )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


async def _check_one(endpoint: object, spec: ModelSpec) -> None:
    from farm.endpoints.client import Endpoint

    assert isinstance(endpoint, Endpoint)
    if spec.backend == "fake":
        return  # no server: it answers from the case
    where = f"endpoint {endpoint.label}"
    unlisted = ""
    if isinstance(endpoint, HttpEndpoint):
        try:
            listing = await endpoint.get_json("/models")
        except EndpointTransient as exc:
            raise EndpointDead(f"{where}: {short_reason(exc.message)}") from exc
        except EndpointError:
            listing = None  # no model list (a gateway): the tiny request decides
        ids = _model_ids(listing)
        if ids is not None and spec.request_model not in ids:
            unlisted = f" (it serves {', '.join(ids) or 'no model'}, not {spec.request_model!r})"
            log.warning("%s does not list %r%s", where, spec.request_model, unlisted)
    last: EndpointError | None = None
    for attempt in range(endpoint.policy.max_attempts):
        try:
            await endpoint.complete(PING)
            return
        except EndpointTransient as exc:
            last = exc
            await asyncio.sleep(endpoint.policy.delay(attempt + 1))
        except EndpointError as exc:
            last = exc
            break
    assert last is not None
    raise EndpointDead(
        f"{where}: a one-message test request failed: {short_reason(last.message)}{unlisted}"
    ) from last


def _model_ids(listing: object) -> list[str] | None:
    """The ids of an OpenAI model list, or ``None`` when ``listing`` is not one."""
    if not isinstance(listing, dict) or not isinstance(listing.get("data"), list):
        return None
    return [str(m.get("id")) for m in listing["data"] if isinstance(m, dict)]


def check_model_endpoints(spec: ModelSpec, settings: Settings) -> None:
    """:func:`preflight` from synchronous code (the CLI, a worker's start).

    Raises:
        EndpointDead: an endpoint failed its check.
    """
    asyncio.run(preflight(spec, settings))
