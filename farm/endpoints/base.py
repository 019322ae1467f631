"""The :class:`Endpoint` base and its :class:`RetryPolicy`: what every backend builds on.

A leaf of :mod:`farm.endpoints`: the HTTP client (:mod:`farm.endpoints.client`) and the
in-process ``fake`` backend (:mod:`farm.endpoints.fake`) both subclass :class:`Endpoint`,
and the registry that chooses between them imports them, never the other way round.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass

from farm.endpoints.types import Completion, CompletionRequest
from farm.models.registry import EndpointConfig, ModelSpec

_JITTER = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with capped exponential backoff and jitter.

    Layering, lowest first: :meth:`from_settings` defaults, the model spec's
    ``max_attempts`` / ``request_timeout``, then a per-call override in the pool.
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


class Endpoint(ABC):
    """A place that answers completion requests. Only :meth:`complete` is abstract."""

    def __init__(self, config: EndpointConfig, spec: ModelSpec, policy: RetryPolicy) -> None:
        self.config = config
        self.spec = spec
        self.policy = policy

    @property
    def label(self) -> str:
        """The name used in statistics and results."""
        return self.config.label

    @property
    def max_concurrency(self) -> int:
        """Requests this endpoint may have in flight."""
        return self.config.max_concurrency or self.spec.max_concurrency

    @abstractmethod
    async def complete(self, request: CompletionRequest) -> Completion:
        """Make one attempt. Raises EndpointTransient or EndpointPermanent on failure."""

    async def aclose(self) -> None:  # noqa: B027  a hook with a default: nothing to close
        """Release connections."""
