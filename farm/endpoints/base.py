"""The :class:`Endpoint` base (and its :class:`~farm.failures.RetryPolicy`, re-exported).

A leaf of :mod:`farm.endpoints`: the HTTP client (:mod:`farm.endpoints.client`) and the
in-process ``fake`` backend (:mod:`farm.endpoints.fake`) both subclass :class:`Endpoint`,
and the registry that chooses between them imports them, never the other way round.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from farm.endpoints.types import Completion, CompletionRequest
from farm.failures import RetryPolicy as RetryPolicy  # re-exported: the policy lives there
from farm.models.registry import EndpointConfig, ModelSpec


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
