"""A run's web-search usage, summed over its shards (table ``web_usage``).

Each shard of a web-search run adds its cases' counters to its own ``web_usage`` row
(:func:`farm.benchmarks.bfcl.agentic.record_usage`); the run's totals are the sums.
``searches`` are provider calls (what a paid provider bills), ``searches_stored`` searches
served from the web store; ``fetches`` pages fetched live, ``fetches_stored`` pages served
from the store; ``replay_misses`` searches and pages a replay did not find in the store;
``cost_usd`` the providers' price of the calls made (``FARM_WEB_SERPAPI_COST_USD`` per
SerpAPI search; the simulator costs nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farm.db.models import WebUsage


@dataclass(frozen=True, slots=True)
class WebTotals:
    """A run's web usage (see the module docstring); ``cost_usd`` in US dollars."""

    searches: int = 0
    searches_stored: int = 0
    fetches: int = 0
    fetches_stored: int = 0
    replay_misses: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: WebTotals) -> WebTotals:
        return WebTotals(
            self.searches + other.searches,
            self.searches_stored + other.searches_stored,
            self.fetches + other.fetches,
            self.fetches_stored + other.fetches_stored,
            self.replay_misses + other.replay_misses,
            self.cost_usd + other.cost_usd,
        )

    def as_json(self) -> dict[str, Any]:
        """The totals as a JSON object (the field names, ``cost_usd`` rounded to 1e-6)."""
        return {
            "searches": self.searches,
            "searches_stored": self.searches_stored,
            "fetches": self.fetches,
            "fetches_stored": self.fetches_stored,
            "replay_misses": self.replay_misses,
            "cost_usd": round(self.cost_usd, 6),
        }

    def cost_text(self) -> str:
        """``$0.045`` (up to 4 decimals, trailing zeros dropped; ``$0`` for nothing)."""
        text = f"{self.cost_usd:.4f}".rstrip("0").rstrip(".")
        return f"${text}"

    def short(self) -> str:
        """``3+9 searches, 5+15 fetches, $0.045`` (provider/live + stored), misses if any."""
        text = (
            f"{self.searches}+{self.searches_stored} searches, "
            f"{self.fetches}+{self.fetches_stored} fetches"
        )
        if self.replay_misses:
            text += f", {self.replay_misses} replay misses"
        return f"{text}, {self.cost_text()}"

    def line(self) -> str:
        """One line for ``farm status``."""
        return (
            f"web: {self.searches + self.searches_stored} searches ({self.searches} provider "
            f"calls, {self.searches_stored} from the web store), "
            f"{self.fetches + self.fetches_stored} fetches ({self.fetches} live, "
            f"{self.fetches_stored} stored), {self.replay_misses} replay misses, "
            f"cost {self.cost_text()}"
        )


def summed(totals: Sequence[WebTotals | None]) -> WebTotals | None:
    """The sum of the totals given (None when none is given: no run made any)."""
    present = [t for t in totals if t is not None]
    if not present:
        return None
    total = present[0]
    for more in present[1:]:
        total = total + more
    return total


def web_totals(session: Session, run_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, WebTotals]:
    """The web usage of each of ``run_ids`` that made any (runs without a row are left out)."""
    if not run_ids:
        return {}
    rows = session.execute(
        select(
            WebUsage.run_id,
            func.sum(WebUsage.searches),
            func.sum(WebUsage.searches_stored),
            func.sum(WebUsage.fetches),
            func.sum(WebUsage.fetches_stored),
            func.sum(WebUsage.replay_misses),
            func.sum(WebUsage.cost_usd),
        )
        .where(WebUsage.run_id.in_(list(run_ids)))
        .group_by(WebUsage.run_id)
    ).all()
    return {
        rid: WebTotals(
            int(s or 0), int(ss or 0), int(f or 0), int(fs or 0), int(m or 0), float(c or 0.0)
        )
        for rid, s, ss, f, fs, m, c in rows
    }
