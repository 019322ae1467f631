"""Settings of the web-search tools (environment variables ``FARM_WEB_*``).

======================================  ==========  ==========================================
Variable                                Default     Meaning
======================================  ==========  ==========================================
``FARM_WEB_MODE``                       ``record``  ``record`` (serve stored, fetch and store
                                                    the rest), ``replay`` (stored only),
                                                    ``live`` (always fetch, store the latest)
``FARM_WEB_PROVIDER``                   ``serpapi`` search provider by registered name
``FARM_WEB_ALLOW_NETWORKS``             (none)      non-public networks pages may be fetched
                                                    from, e.g. ``127.0.0.0/8`` (tests, demo)
``FARM_WEB_TIMEOUT_S``                  ``20``      seconds per page fetch (BFCL's timeout)
``FARM_WEB_MAX_BYTES``                  5 MiB       largest page body kept
``FARM_WEB_SERPAPI_URL``                serpapi     SerpAPI's API root
``FARM_WEB_SERPAPI_COST_USD``           ``0.015``   cost of one SerpAPI search
``FARM_WEB_SIMULATOR_URL``              (none)      the farm simulator's root (provider
                                                    ``farm-simulator``)
======================================  ==========  ==========================================

The SerpAPI key is read from ``SERPAPI_API_KEY`` (BFCL's variable) when a search is made,
sent only to SerpAPI, and never stored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

WebMode = Literal["record", "replay", "live"]
WEB_MODES: tuple[str, ...] = ("record", "replay", "live")


class WebSettings(BaseSettings):
    """The web-search tools' settings (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="FARM_WEB_", extra="ignore")

    mode: WebMode = "record"
    provider: str = "serpapi"
    allow_networks: str = ""
    timeout_s: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    serpapi_url: str = "https://serpapi.com"
    serpapi_cost_usd: float = Field(default=0.015, ge=0)
    simulator_url: str | None = None
