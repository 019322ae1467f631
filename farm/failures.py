"""The failure policy of the farm: every retry and give-up rule, layer by layer.

Each layer retries what it can fix and hands the rest up as data, never as a verdict:

1. **Request** (:mod:`farm.endpoints.pool`, :class:`RetryPolicy`):
   timeouts, dropped connections, 429 and 5xx are retried with capped exponential backoff
   and jitter; attempts come from ``FARM_MAX_ATTEMPTS``, then the model's ``max_attempts``,
   then a per-call override. Other 4xx and malformed answers are final at once.
2. **Case** (:mod:`farm.caserun`): a request given up, or one that cannot be built, is an
   error row (:class:`farm.result_row.Failure`: kind, message, attempts) with no verdict;
   it is never credit.
3. **Endpoint** (:class:`Breaker`): when the first :data:`FAIL_FAST_REQUESTS` inferences
   of a process all fail, or, later, that many in a row fail at the transport (requests
   given up as ``endpoint_transient``: refused, timed out, dropped, 429, 5xx; the endpoint
   died half-way), the endpoint is dead: the embedded run ends ``incomplete`` with one
   line, a worker stops and its shards go back to the queue. Before any of that,
   ``farm run`` and ``farm worker`` check the endpoint (:mod:`farm.endpoints.preflight`).
4. **Shard** (:mod:`farm.ledger`, :func:`farm.runs.sweep`): a shard's lease
   (:data:`LEASE_SECONDS`) is renewed every :func:`heartbeat_seconds`; the sweep of every
   live worker re-enqueues a shard whose lease expired (its worker died), so it runs
   elsewhere within a lease and a sweep period. A shard delivered :data:`MAX_DELIVERIES`
   times is abandoned: its cases become ``shard_abandoned`` error rows.
5. **Database** (:func:`retry_storage`): results already inferred stay in the worker and
   are written when the database answers again (for :data:`WRITE_RETRY_DEADLINE`), without
   running inference again and without another delivery. A database that is down before a
   shard starts is retried by the shard task (Celery ``autoretry_for``), nothing inferred.
6. **Scorer** (:mod:`farm.caserun`): a scorer that raises gives a ``scorer_error`` row,
   counted apart from model errors, never a wrong answer.
7. **Run** (:func:`farm.ledger.maybe_finalise`): a run ends ``done`` when every case has a
   verdict, else ``incomplete``; its scores then count failed cases as wrong and say so,
   and ``farm resume`` re-runs error rows and missing cases.

Imported BFCL result files (``farm evaluate``) keep BFCL's own rule: a failed inference
there is scored as BFCL scores it, and counted as an imported inference error.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from farm.errors import EndpointDead, StorageError
from farm.result_row import ENDPOINT_TRANSIENT

if TYPE_CHECKING:
    from farm.models.registry import ModelSpec

log = logging.getLogger(__name__)

T = TypeVar("T")

_JITTER = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """Layer 1: bounded attempts per request, capped exponential backoff with half jitter.

    Layering, lowest first: the settings (``FARM_MAX_ATTEMPTS``, ``FARM_REQUEST_TIMEOUT``),
    the model spec's ``max_attempts`` / ``request_timeout`` (:meth:`for_model`), then a
    per-call override in the pool (``EndpointPool.complete(..., max_attempts=)``).
    """

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    timeout: float = 600.0
    connect_timeout: float = 5.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): half jitter."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        draw = (rng if rng is not None else _JITTER).random()
        return cap * (0.5 + draw / 2)

    @classmethod
    def for_model(cls, spec: ModelSpec, *, max_attempts: int, timeout: float) -> RetryPolicy:
        """Settings defaults (``max_attempts``, ``timeout``) overridden by the spec's fields."""
        return cls(
            max_attempts=spec.max_attempts or max_attempts,
            timeout=spec.request_timeout or timeout,
            connect_timeout=min(5.0, spec.request_timeout or timeout),
        )


#: Layer 3: inferences that must all fail, from a process's first one, to call an
#: endpoint dead.
FAIL_FAST_REQUESTS = 20

#: Layer 4: default lease of a shard (``FARM_LEASE_SECONDS``), in seconds. A dead
#: worker's shard is re-enqueued once its lease expired and a sweep ran.
LEASE_SECONDS = 30
#: Layer 4: seconds between lease renewals of a running shard (at most a quarter lease).
HEARTBEAT_SECONDS = 2.0
#: Layer 4: deliveries of one shard before it is abandoned (a poison shard).
MAX_DELIVERIES = 5
#: Layer 4: a queued shard untouched this long gets a new broker message (its message
#: may have been lost with a Redis restart); independent of the (short) lease, so shards
#: waiting their turn are not sent again and again (``FARM_LOST_MESSAGE_SECONDS``).
LOST_MESSAGE_SECONDS = 900

#: Layer 5: the shard task's own retries when the database is down before a shard starts
#: (Celery ``autoretry_for=(StorageError,)``; nothing inferred yet, no delivery counted).
TASK_RETRY_BACKOFF = 2
TASK_RETRY_BACKOFF_MAX = 60
TASK_MAX_RETRIES = 8
#: Layer 5: how long a worker keeps inferred results waiting for the database, seconds.
WRITE_RETRY_DEADLINE = 1800.0
#: Layer 5: backoff between write attempts: first delay and cap, seconds.
WRITE_RETRY_BASE = 0.5
WRITE_RETRY_CAP = 15.0


def heartbeat_seconds(lease_seconds: float) -> float:
    """Seconds between renewals of a lease of ``lease_seconds``."""
    return max(0.05, min(HEARTBEAT_SECONDS, lease_seconds / 4))


def sweep_seconds(lease_seconds: float) -> float:
    """Seconds between a worker's sweeps of expired leases (a quarter lease, 1 s at least)."""
    return max(1.0, lease_seconds / 4)


def write_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed write ``attempt`` (1-based): capped, half jitter."""
    cap = min(WRITE_RETRY_CAP, WRITE_RETRY_BASE * 2.0 ** (attempt - 1))
    return cap * (0.5 + (rng or random).random() / 2)


async def retry_storage(
    write: Callable[[], Awaitable[T]],
    *,
    what: str,
    deadline_s: float = WRITE_RETRY_DEADLINE,
) -> T:
    """Await ``write()`` until it does not raise :class:`StorageError` (layer 5).

    Raises:
        StorageError: the last error, once ``deadline_s`` seconds have passed.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await write()
        except StorageError as exc:
            waited = time.monotonic() - started
            if waited >= deadline_s:
                raise
            delay = min(write_delay(attempt), max(0.0, deadline_s - waited))
            log.warning("%s failed (%s); results kept, retrying in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)


@dataclass
class Breaker:
    """Layer 3: calls an endpoint dead when it fails ``threshold`` inferences in a row.

    One breaker lives per process (embedded executor or worker). Before the first success
    any failure counts (the endpoint never worked). After a success only failures of the
    transport count (kind ``endpoint_transient``: requests given up after their retries),
    and any answer from the endpoint, even a per-case refusal such as an HTTP 400 for a
    too-long prompt, starts the count again: an endpoint that died half-way stops the run
    instead of turning every remaining case into an error row.

    Attributes:
        threshold: failed inferences in a row that make the endpoint dead.
        on_trip: called once, with the :class:`EndpointDead` error, when it trips.
    """

    threshold: int = FAIL_FAST_REQUESTS
    on_trip: Callable[[EndpointDead], None] | None = None
    failures: int = 0
    healthy: bool = False
    tripped: EndpointDead | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: dict[tuple[str, str], int] = {}

    def record(
        self,
        *,
        ok: bool,
        endpoint: str | None = None,
        reason: str = "",
        kind: str | None = None,
    ) -> None:
        """Count one inference (``kind``: its failure kind); trip at ``threshold`` in a row."""
        with self._lock:
            if self.tripped is not None:
                return
            if ok or (self.healthy and kind != ENDPOINT_TRANSIENT):
                self.healthy = self.healthy or ok
                self.failures = 0
                self._reasons.clear()
                return
            self.failures += 1
            key = (endpoint or "of the model", short_reason(reason))
            self._reasons[key] = self._reasons.get(key, 0) + 1
            if self.failures < self.threshold:
                return
            (where, why), _ = max(self._reasons.items(), key=lambda item: item[1])
            tail = (
                f"on {self.failures} requests in a row after earlier successes"
                if self.healthy
                else f"on {self.failures} of {self.failures} requests"
            )
            self.tripped = EndpointDead(f"endpoint {where}: {why} {tail}")
            error = self.tripped
        if self.on_trip is not None:
            self.on_trip(error)


def short_reason(message: str) -> str:
    """The cause in a failure message, without retry counts: ``connection refused``."""
    text = (message or "failed").splitlines()[0]
    cut = text.find(" (gave up after")
    if cut > 0:
        text = text[:cut]
    text = re.sub(r"^\w+://\S+?: ", "", text)  # the endpoint's own prefix
    lowered = text.lower()
    for phrase, reason in _REASONS:
        if phrase in lowered:
            return reason
    return text.strip()[:200] or "failed"


#: Message fragments of common causes and the short cause shown for them.
_REASONS = (
    ("connection refused", "connection refused"),
    ("connect call failed", "connection refused"),
    ("cannot connect", "connection refused"),
    ("timed out", "timed out"),
    ("timeout", "timed out"),
    ("name or service not known", "name not resolved"),
    ("server disconnected", "connection dropped"),
)
