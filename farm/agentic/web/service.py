"""The web service behind the two tools: provider, fetcher and store, in one of three modes.

- ``record`` (default): serve what the store holds, ask the provider or fetch the page
  for the rest and store it;
- ``replay``: the store only, never the network; a search missing from the store answers
  the provider-failure text, a page missing from it the fetch-error text; misses are
  counted;
- ``live``: always ask or fetch, and store the newest answer.

:class:`WebCounters` counts provider calls, stored answers served, live fetches, replay
misses and cost; a run records them (table ``web_usage``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from farm.agentic.web.fetch import FetchError, PageFetcher
from farm.agentic.web.providers import SearchAnswer, SearchProvider
from farm.agentic.web.providers.serpapi import NO_RESULTS
from farm.agentic.web.render import MODES, render
from farm.agentic.web.settings import WebMode
from farm.agentic.web.store import StoredPage, WebStore, page_key, search_key
from farm.errors import ConfigError

REPLAY_MISS = "the page is not in the web store (replay mode)"


@dataclass
class WebCounters:
    """What one run (or shard) did on the web. Thread-safe increments."""

    searches: int = 0
    searches_stored: int = 0
    fetches: int = 0
    fetches_stored: int = 0
    replay_misses: int = 0
    cost_usd: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **amounts: float) -> None:
        """Add to the named counters."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)


@dataclass(frozen=True, slots=True)
class PageResult:
    """The tool's view of a page: ``content`` or ``error`` (the part after BFCL's prefix)."""

    content: str | None
    error: str | None


class WebService:
    """Searches and fetches for the tools, through the store as the mode says.

    Args:
        mode: ``record``, ``replay`` or ``live``.
        provider: the search provider (unused, and may be None, in replay).
        provider_name: the provider whose stored searches are served when ``provider`` is
            None (replay); defaults to the provider's own name.
        fetcher: the page fetcher (unused, and may be None, in replay).
        store: the web store (None: nothing is stored; replay then misses everything).
        counters: where the counts go.

    Raises:
        ConfigError: a mode that needs the network lacks a provider or fetcher.
    """

    def __init__(
        self,
        mode: WebMode,
        *,
        provider: SearchProvider | None,
        fetcher: PageFetcher | None,
        store: WebStore | None,
        counters: WebCounters | None = None,
        provider_name: str | None = None,
    ) -> None:
        if mode != "replay" and (provider is None or fetcher is None):
            raise ConfigError(f"web mode {mode!r} needs a search provider and a page fetcher")
        self.mode = mode
        self.provider = provider
        self.fetcher = fetcher
        self.store = store
        self.counters = counters or WebCounters()
        self.provider_name = provider.name if provider is not None else provider_name or ""

    def search(self, query: str, region: str, max_results: int | None) -> SearchAnswer:
        """The hits for a search (cut to ``max_results``), or its error."""
        name = self.provider_name
        key = search_key(name, query, region, max_results)
        if self.store is not None and self.mode != "live":
            stored = self.store.get_search(key)
            if stored is not None:
                self.counters.add(searches_stored=1)
                return stored
        if self.mode == "replay" or self.provider is None:
            self.counters.add(replay_misses=1)
            return SearchAnswer(hits=None, error=NO_RESULTS)
        answer = self.provider.search(query, region)
        self.counters.add(searches=1, cost_usd=answer.cost_usd)
        if answer.hits is not None:
            answer = SearchAnswer(
                hits=answer.hits[:max_results], error=None, cost_usd=answer.cost_usd
            )
        if self.store is not None:
            self.store.put_search(
                key,
                provider=name,
                query=query,
                region=region,
                max_results=max_results,
                answer=answer,
                overwrite=self.mode == "live",
            )
        return answer

    def fetch(self, url: str, mode: str) -> PageResult:
        """The page's content in ``mode``, or the error text."""
        if mode not in MODES:
            return PageResult(None, f"Unsupported mode: {mode}")
        key = page_key(url, mode)
        if self.store is not None and self.mode != "live":
            stored = self.store.get_page(key)
            if stored is not None:
                self.counters.add(fetches_stored=1)
                return PageResult(stored.content, stored.error)
        if self.mode == "replay" or self.fetcher is None:
            self.counters.add(replay_misses=1)
            return PageResult(None, REPLAY_MISS)
        self.counters.add(fetches=1)
        try:
            page = self.fetcher.fetch(url)
        except FetchError as exc:
            if exc.status is not None and self.store is not None:
                self.store.put_page(
                    key,
                    url=url,
                    mode=mode,
                    page=StoredPage(None, str(exc), exc.status),
                    overwrite=self.mode == "live",
                )
            return PageResult(None, str(exc))
        content = render(page.text, mode)
        if self.store is not None:
            self.store.put_page(
                key,
                url=url,
                mode=mode,
                page=StoredPage(content, None, page.status, page.final_url, page.elapsed_ms),
                overwrite=self.mode == "live",
            )
        return PageResult(content, None)
