"""The web store: every search and every fetched page a run saw, in the database.

Keys are SHA-256 digests of canonical JSON: searches by (provider, query, region,
max_results), pages by (url, mode). A search stores the provider's hits (already cut to
``max_results``; the tool drops snippets itself), or its error; a page stores the tool's
content for that mode, or an HTTP error with its status. Failures that say nothing about
the web (a refused address, a timeout, a network error) are never stored.

Concurrent writers (workers recording the same search) are fine: the first insert wins and
the others keep the stored row; ``live`` mode overwrites.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from farm.agentic.web.providers import SearchAnswer, SearchHit
from farm.db.base import utcnow
from farm.db.engine import session_scope
from farm.db.models import WebPage, WebSearch
from farm.errors import StorageError


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def search_key(provider: str, query: str, region: str, max_results: int | None) -> str:
    """The store key of a search."""
    return _digest(["search", provider, query, region, max_results])


def page_key(url: str, mode: str) -> str:
    """The store key of a page in one mode."""
    return _digest(["page", url, mode])


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A page as stored: ``content`` or ``error``, the HTTP ``status``, the fetch time."""

    content: str | None
    error: str | None
    status: int | None
    final_url: str | None = None
    elapsed_ms: int = 0


class WebStore:
    """Reads and writes the ``web_searches`` and ``web_pages`` tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get_search(self, key: str) -> SearchAnswer | None:
        """The stored answer of a search, if any."""
        with session_scope(self.engine) as session:
            row = session.scalars(select(WebSearch).where(WebSearch.key == key)).first()
            if row is None:
                return None
            hits = None if row.results is None else [SearchHit(**h) for h in row.results]
            return SearchAnswer(hits=hits, error=row.error)

    def put_search(
        self,
        key: str,
        *,
        provider: str,
        query: str,
        region: str,
        max_results: int | None,
        answer: SearchAnswer,
        overwrite: bool,
    ) -> None:
        """Store a search's answer (``overwrite``: replace an existing row)."""
        results = (
            None
            if answer.hits is None
            else [{"title": h.title, "link": h.link, "snippet": h.snippet} for h in answer.hits]
        )
        values = {
            "provider": provider,
            "query": query,
            "region": region,
            "max_results": max_results,
            "results": results,
            "error": answer.error,
            "cost_usd": answer.cost_usd,
            "searched_at": utcnow(),
        }
        self._put(WebSearch, key, values, overwrite)

    def get_page(self, key: str) -> StoredPage | None:
        """The stored page, if any."""
        with session_scope(self.engine) as session:
            row = session.scalars(select(WebPage).where(WebPage.key == key)).first()
            if row is None:
                return None
            return StoredPage(row.content, row.error, row.status, row.final_url, row.elapsed_ms)

    def put_page(self, key: str, *, url: str, mode: str, page: StoredPage, overwrite: bool) -> None:
        """Store a page (``overwrite``: replace an existing row)."""
        values = {
            "url": url,
            "mode": mode,
            "content": page.content,
            "error": page.error,
            "status": page.status,
            "final_url": page.final_url,
            "elapsed_ms": page.elapsed_ms,
            "fetched_at": utcnow(),
        }
        self._put(WebPage, key, values, overwrite)

    def _put(
        self,
        table: type[WebSearch] | type[WebPage],
        key: str,
        values: dict[str, Any],
        overwrite: bool,
    ) -> None:
        try:
            with session_scope(self.engine) as session:
                row = session.scalars(select(table).where(table.key == key)).first()
                if row is None:
                    session.add(table(key=key, **values))
                elif overwrite:
                    for name, value in values.items():
                        setattr(row, name, value)
        except StorageError as exc:
            # Another worker stored the same key first: its row stands (record mode).
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            if overwrite:
                self._put(table, key, values, overwrite)

    def counts(self) -> tuple[int, int]:
        """``(searches, pages)`` stored."""
        with session_scope(self.engine) as session:
            searches = session.scalar(select(func.count()).select_from(WebSearch)) or 0
            pages = session.scalar(select(func.count()).select_from(WebPage)) or 0
        return int(searches), int(pages)
