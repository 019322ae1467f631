"""A pool of endpoints (replicas) of one model, with balancing, retries and failover.

Each request goes to the healthy endpoint with the fewest outstanding requests. A transient
failure is retried, on another endpoint when one is healthy, with capped exponential backoff
and jitter otherwise, up to the policy's attempt bound. An endpoint that fails
``failure_threshold`` times in a row is taken out for ``cooldown_s`` seconds; after that one
request probes it, and a success puts it back. Permanent failures are final at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field, replace
from types import TracebackType

import httpx

from farm.backends import endpoint_backend_for
from farm.config import Settings
from farm.endpoints.client import Endpoint, HttpEndpoint, make_endpoint
from farm.endpoints.types import Completion, CompletionRequest
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient
from farm.failures import RetryPolicy
from farm.models.registry import EndpointConfig, ModelSpec

log = logging.getLogger(__name__)


class RetriesExhausted(EndpointTransient):
    """Every attempt failed transiently; ``attempts`` says how many were made."""

    def __init__(self, message: str, *, status: int | None, attempts: int, endpoint: str) -> None:
        super().__init__(message, status=status)
        self.attempts = attempts
        self.endpoint = endpoint


class RequestRejected(EndpointPermanent):
    """The endpoint rejected the request for good (4xx or a malformed answer)."""

    def __init__(self, message: str, *, status: int | None, attempts: int, endpoint: str) -> None:
        super().__init__(message, status=status)
        self.attempts = attempts
        self.endpoint = endpoint


@dataclass(frozen=True)
class EndpointStats:
    """Counters of one endpoint, for the run summary."""

    endpoint: str
    requests: int
    errors: int
    retries: int
    latency_p50: float | None
    latency_p95: float | None
    input_tokens: int
    output_tokens: int
    in_flight: int
    cooling_down: bool


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class _Slot:
    endpoint: Endpoint
    outstanding: int = 0
    requests: int = 0
    errors: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    consecutive_failures: int = 0
    cooldown_until: float = 0.0
    latencies: list[float] = field(default_factory=list)


class EndpointPool:
    """The endpoints of one model. Use as ``async with EndpointPool(spec, settings) as pool``.

    Args:
        spec: the model; its ``endpoints`` become the pool's members.
        settings: defaults for the attempt bound and the request timeout.
        policy: overrides the retry policy derived from settings and spec.
        failure_threshold: consecutive failures that put an endpoint into cooldown.
        cooldown_s: how long an endpoint stays out.
        transport: an httpx transport for every HTTP endpoint (unit tests).
    """

    def __init__(
        self,
        spec: ModelSpec,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        failure_threshold: int = 3,
        cooldown_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.spec = spec
        self.policy = policy or RetryPolicy.for_model(
            spec, max_attempts=settings.max_attempts, timeout=settings.request_timeout
        )
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        configs = list(spec.endpoints)
        in_process = not endpoint_backend_for(spec.backend).url
        if not configs and in_process:
            configs = [EndpointConfig(base_url=f"fake://{spec.request_model}")]
        if not configs:
            raise ConfigError(f"model {spec.key!r} has no endpoint to send requests to")
        self._slots: list[_Slot] = []
        for config in configs:
            if transport is not None and not in_process:
                endpoint: Endpoint = HttpEndpoint(config, spec, self.policy, transport=transport)
            else:
                endpoint = make_endpoint(config, spec, self.policy)
            self._slots.append(_Slot(endpoint))
        self._rng = random.Random()
        self._turn = 0

    async def __aenter__(self) -> EndpointPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every endpoint's connections."""
        for slot in self._slots:
            await slot.endpoint.aclose()

    @property
    def endpoints(self) -> list[Endpoint]:
        """The member endpoints, in configuration order."""
        return [slot.endpoint for slot in self._slots]

    @property
    def capacity(self) -> int:
        """Total requests the pool may have in flight (sum of endpoint limits)."""
        return sum(slot.endpoint.max_concurrency for slot in self._slots)

    def _choose(self, avoid: _Slot | None, now: float) -> _Slot:
        healthy = [s for s in self._slots if s.cooldown_until <= now]
        if avoid is not None and len(healthy) > 1:
            healthy = [s for s in healthy if s is not avoid] or healthy
        if not healthy:
            return min(self._slots, key=lambda s: s.cooldown_until)
        self._turn += 1
        n = len(healthy)
        order = [healthy[(self._turn + i) % n] for i in range(n)]
        return min(order, key=lambda s: s.outstanding)

    def _failed(self, slot: _Slot, exc: Exception) -> None:
        slot.errors += 1
        slot.consecutive_failures += 1
        if slot.consecutive_failures >= self.failure_threshold and len(self._slots) > 1:
            if slot.cooldown_until <= time.monotonic():
                log.warning(
                    "endpoint %s cooling down for %.1fs: %s",
                    slot.endpoint.label,
                    self.cooldown_s,
                    exc,
                )
            slot.cooldown_until = time.monotonic() + self.cooldown_s

    async def complete(
        self, request: CompletionRequest, *, max_attempts: int | None = None
    ) -> Completion:
        """Send ``request`` with retries and failover.

        Raises:
            RetriesExhausted: every attempt failed transiently.
            RequestRejected: an endpoint rejected the request permanently.
        """
        limit = max_attempts or self.policy.max_attempts
        start = time.perf_counter()
        avoid: _Slot | None = None
        attempt = 0
        while True:
            attempt += 1
            now = time.monotonic()
            slot = self._choose(avoid, now)
            slot.outstanding += 1
            slot.requests += 1
            if attempt > 1:
                slot.retries += 1
            began = time.perf_counter()
            try:
                completion = await slot.endpoint.complete(request)
            except EndpointTransient as exc:
                self._failed(slot, exc)
                if attempt >= limit:
                    raise RetriesExhausted(
                        f"{exc.message} (gave up after {attempt} attempts)",
                        status=exc.status,
                        attempts=attempt,
                        endpoint=slot.endpoint.label,
                    ) from exc
                log.info("attempt %d on %s failed: %s", attempt, slot.endpoint.label, exc)
                avoid = slot
                if self._choose(avoid, time.monotonic()) is slot:
                    await asyncio.sleep(self.policy.delay(attempt, self._rng))
                continue
            except EndpointPermanent as exc:
                slot.errors += 1
                raise RequestRejected(
                    exc.message, status=exc.status, attempts=attempt, endpoint=slot.endpoint.label
                ) from exc
            finally:
                slot.outstanding -= 1
            slot.consecutive_failures = 0
            slot.cooldown_until = 0.0
            slot.latencies.append(time.perf_counter() - began)
            slot.input_tokens += completion.input_tokens
            slot.output_tokens += completion.output_tokens
            return replace(completion, latency_s=time.perf_counter() - start, attempts=attempt)

    def stats(self) -> list[EndpointStats]:
        """Counters per endpoint, in configuration order."""
        now = time.monotonic()
        return [
            EndpointStats(
                endpoint=slot.endpoint.label,
                requests=slot.requests,
                errors=slot.errors,
                retries=slot.retries,
                latency_p50=_percentile(slot.latencies, 0.5),
                latency_p95=_percentile(slot.latencies, 0.95),
                input_tokens=slot.input_tokens,
                output_tokens=slot.output_tokens,
                in_flight=slot.outstanding,
                cooling_down=slot.cooldown_until > now,
            )
            for slot in self._slots
        ]
