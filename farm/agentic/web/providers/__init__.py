"""Search providers, registered by name.

A provider is one module in this package that decorates a factory with
:func:`register_provider`; :func:`get_provider` imports every module of the package once,
so adding a provider needs no other edit. A provider answers ``(query, region)`` with the
organic results as :class:`SearchHit` objects, or an error text, and says what the call
cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from farm.agentic.web.settings import WebSettings
from farm.errors import ConfigError
from farm.plugins import ImportOnce


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One organic result: title, URL and snippet."""

    title: str
    link: str
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """A provider's answer: ``hits`` (None when it failed), ``error`` text, ``cost_usd``."""

    hits: list[SearchHit] | None
    error: str | None = None
    cost_usd: float = 0.0


class SearchProvider(Protocol):
    """Answers a search; never raises for a failed search (the failure is the answer)."""

    name: str

    def search(self, query: str, region: str) -> SearchAnswer:
        """The organic results for ``query`` in ``region`` (a DuckDuckGo ``kl`` code)."""


ProviderFactory = Callable[[WebSettings], SearchProvider]
_REGISTRY: dict[str, ProviderFactory] = {}


def register_provider(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Register a provider factory under ``name`` (a decorator)."""

    def decorate(factory: ProviderFactory) -> ProviderFactory:
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ConfigError(f"search provider {name!r} is registered twice")
        _REGISTRY[name] = factory
        return factory

    return decorate


#: Imports every provider module of this package once, so their decorators run.
_load_builtin = ImportOnce(__name__)


def provider_names() -> list[str]:
    """Every registered provider name, sorted."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_provider(name: str, settings: WebSettings | None = None) -> SearchProvider:
    """The provider registered as ``name``.

    Raises:
        ConfigError: no provider has that name, or its configuration is incomplete.
    """
    _load_builtin()
    if name not in _REGISTRY:
        raise ConfigError(
            f"unknown search provider {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name](settings or WebSettings())
