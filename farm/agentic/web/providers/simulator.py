"""The farm simulator's search engine (``farm simulate``): its own small web, offline.

It answers the same ``/search.json`` protocol as SerpAPI at ``FARM_WEB_SIMULATOR_URL``,
costs nothing and needs no key; tests and ``farm demo`` use it.
"""

from __future__ import annotations

from farm.agentic.web.providers import register_provider
from farm.agentic.web.providers.serpapi import SerpApiProvider
from farm.agentic.web.settings import WebSettings
from farm.errors import ConfigError


@register_provider("farm-simulator")
def simulator(settings: WebSettings) -> SerpApiProvider:
    """The simulator at ``FARM_WEB_SIMULATOR_URL``.

    Raises:
        ConfigError: the URL is not set.
    """
    if not settings.simulator_url:
        raise ConfigError("the farm-simulator search provider needs FARM_WEB_SIMULATOR_URL")
    return SerpApiProvider("farm-simulator", settings.simulator_url, api_key_env=None, cost_usd=0.0)
