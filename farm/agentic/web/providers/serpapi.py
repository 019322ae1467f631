"""SerpAPI (BFCL's provider): DuckDuckGo results through ``/search.json``.

BFCL sends ``engine=duckduckgo``, ``q=<keywords>``, ``kl=<region>`` and the key from
``SERPAPI_API_KEY``; a 429 is retried with backoff (BFCL retries forever; here at most
:data:`MAX_ATTEMPTS` times); an answer without ``organic_results`` is BFCL's
"Failed to retrieve the search results from server. Please try again later."; a failed
request is the exception's text. The key goes to SerpAPI only and is never logged.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from typing import Any

import httpx

from farm.agentic.web.providers import SearchAnswer, SearchHit, register_provider
from farm.agentic.web.settings import WebSettings

_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]+")


class _RedactKeys(logging.Filter):
    """Hide ``api_key=...`` in httpx's request log lines (it logs full URLs at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _KEY_PARAM.sub(r"\1***", record.msg)
        return True


def _redact(value: object) -> object:
    """``value`` with any ``api_key=`` value hidden (non-text values untouched)."""
    if isinstance(value, int | float):
        return value
    text = str(value)
    return _KEY_PARAM.sub(r"\1***", text) if "api_key=" in text else value


logging.getLogger("httpx").addFilter(_RedactKeys())

NO_RESULTS = "Failed to retrieve the search results from server. Please try again later."
MAX_ATTEMPTS = 6
BACKOFF_CAP_S = 60.0


def parse_results(payload: Any) -> SearchAnswer | None:
    """Hits from a SerpAPI payload; ``None`` means "rate limited, retry"."""
    if not isinstance(payload, dict):
        return SearchAnswer(hits=None, error=NO_RESULTS)
    if "error" in payload and "429" in str(payload["error"]):
        return None
    organic = payload.get("organic_results")
    if not isinstance(organic, list):
        return SearchAnswer(hits=None, error=NO_RESULTS)
    hits = []
    for item in organic:
        if not isinstance(item, dict):
            continue
        hits.append(
            SearchHit(
                title=str(item.get("title", "")),
                link=str(item.get("link", "")),
                snippet=str(item.get("snippet", "")),
            )
        )
    return SearchAnswer(hits=hits)


class SerpApiProvider:
    """Searches through a SerpAPI-compatible ``/search.json``.

    Args:
        name: the registered name.
        base_url: the API root (``https://serpapi.com``).
        api_key_env: the variable holding the key (``None``: send no key).
        cost_usd: the price of one answered search.
        timeout_s: seconds per request.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        api_key_env: str | None,
        cost_usd: float,
        timeout_s: float = 30.0,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.cost_usd = cost_usd
        self.timeout_s = timeout_s
        self._sleep = time.sleep

    def search(self, query: str, region: str) -> SearchAnswer:
        """Ask the provider; rate limits are retried, other failures are the answer."""
        params = {"engine": "duckduckgo", "q": query, "kl": region}
        if self.api_key_env is not None:
            params["api_key"] = os.environ.get(self.api_key_env, "")
        backoff = 2.0
        with httpx.Client(timeout=self.timeout_s, trust_env=False) as client:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    response = client.get(f"{self.base_url}/search.json", params=params)
                    payload = response.json() if response.content else {}
                    if response.status_code == 429:
                        payload = {"error": "429 Too Many Requests"}
                except (httpx.HTTPError, ValueError) as exc:
                    message = _KEY_PARAM.sub(r"\1***", str(exc))
                    return SearchAnswer(hits=None, error=message or type(exc).__name__)
                answer = parse_results(payload)
                if answer is not None:
                    cost = self.cost_usd if answer.hits is not None else 0.0
                    return SearchAnswer(hits=answer.hits, error=answer.error, cost_usd=cost)
                if attempt < MAX_ATTEMPTS:
                    self._sleep(backoff + random.uniform(0, backoff))
                    backoff = min(backoff * 2, BACKOFF_CAP_S)
        return SearchAnswer(hits=None, error="429 Too Many Requests: SerpAPI rate limit")


@register_provider("serpapi")
def serpapi(settings: WebSettings) -> SerpApiProvider:
    """SerpAPI at ``FARM_WEB_SERPAPI_URL`` with ``SERPAPI_API_KEY``."""
    return SerpApiProvider(
        "serpapi",
        settings.serpapi_url,
        api_key_env="SERPAPI_API_KEY",
        cost_usd=settings.serpapi_cost_usd,
    )
