"""Protocol deviations of a run, counted per endpoint from ``results.call_info``."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from farm.db.models import Result

#: Counted besides the deviations themselves.
CLIENT_PARSED = "parsed_by_client"
TRUNCATED = "finish_reason_length"


def deviation_counts(session: Session, run_id: uuid.UUID) -> dict[str, Counter[str]]:
    """``endpoint -> {deviation: results}`` for one run (endpoints without any are left out).

    Besides each deviation of ``call_info["deviations"]``, ``parsed_by_client`` counts the
    results whose calls the client parsed from text and ``finish_reason_length`` those cut
    by ``max_tokens``.
    """
    rows = session.execute(
        select(Result.endpoint, Result.call_info).where(
            Result.run_id == run_id, Result.call_info.is_not(None)
        )
    )
    counts: dict[str, Counter[str]] = {}
    for endpoint, info in rows:
        if not isinstance(info, dict):
            continue
        found: list[str] = [d for d in info.get("deviations") or () if isinstance(d, str)]
        if info.get("parsed_by") == "client":
            found.append(CLIENT_PARSED)
        if info.get("finish_reason") == "length":
            found.append(TRUNCATED)
        if found:
            counts.setdefault(endpoint or "-", Counter()).update(found)
    return counts


def deviation_lines(counts: dict[str, Counter[str]]) -> list[str]:
    """One line per endpoint, most frequent deviation first."""
    return [
        f"{endpoint}: " + ", ".join(f"{name} {n}" for name, n in counter.most_common())
        for endpoint, counter in sorted(counts.items())
    ]
