"""BFCL's ``WebSearchAPI`` tools served by the farm, with BFCL's outputs and error texts.

Outputs (``func_source_code/web_search.py`` of bfcl-eval 2026.3.23):

- ``search_engine_query(keywords, max_results=10, region="wt-wt")``: a list of
  ``{"title", "href", "body"}`` (``body`` left out when snippets are hidden, the
  ``web_search_no_snippet`` category), or ``{"error": <text>}``;
- ``fetch_url_content(url, mode="raw")``: ``{"content": <text>}`` or
  ``{"error": "An error occurred while fetching <url>: <reason>"}``; a URL not starting
  with ``http://`` or ``https://`` raises ``ValueError("Invalid URL: <url>")`` (shown to the
  model as BFCL's "Error during execution: ..." by the dispatcher).
"""

from __future__ import annotations

from typing import Any

from farm.agentic.web.service import WebService


class WebSearchAPI:
    """The two tools over a :class:`WebService`.

    Args:
        service: where searches and pages come from.
        show_snippet: whether results carry the snippet (``body``).
    """

    def __init__(self, service: WebService, *, show_snippet: bool = True) -> None:
        self._service = service
        self._show_snippet = show_snippet

    def search_engine_query(
        self, keywords: str, max_results: int | None = 10, region: str | None = "wt-wt"
    ) -> list[dict[str, str]] | dict[str, str]:
        """Search the web; the results as BFCL returns them."""
        [][:max_results]  # a non-integer bound fails here, before any search, as in BFCL
        answer = self._service.search(str(keywords), str(region), max_results)
        if answer.hits is None:
            return {"error": answer.error or ""}
        results: list[dict[str, str]] = []
        for hit in answer.hits[:max_results]:
            item = {"title": hit.title, "href": hit.link}
            if self._show_snippet:
                item["body"] = hit.snippet
            results.append(item)
        return results

    def fetch_url_content(self, url: str, mode: str = "raw") -> dict[str, Any]:
        """Fetch a page and return its content in ``mode`` (raw, markdown or truncate)."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"Invalid URL: {url}")
        page = self._service.fetch(url, str(mode))
        if page.error is not None:
            return {"error": f"An error occurred while fetching {url}: {page.error}"}
        return {"content": page.content}
