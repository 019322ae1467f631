"""Health checks behind ``farm doctor``: database, broker and configured endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from farm.config import Settings
from farm.errors import FarmError


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


def check_database(settings: Settings) -> list[CheckResult]:
    """Connect to the database and compare its schema revision with the code's."""
    from farm.db.engine import make_engine, safe_url
    from farm.db.migrate import current_revision, head_revision

    url = settings.resolved_database_url
    name = f"database {safe_url(url)}"
    try:
        engine = make_engine(settings)
        current = current_revision(engine)
        head = head_revision(engine)
    except FarmError as exc:
        return [CheckResult(name, False, exc.message)]
    if current == head:
        return [CheckResult(name, True, f"reachable, schema at {current}")]
    if settings.embedded_database:
        return [CheckResult(name, True, f"embedded, will upgrade {current or 'empty'} -> {head}")]
    return [CheckResult(name, False, f"schema at {current or 'nothing'}, run 'farm db upgrade'")]


def check_broker(settings: Settings) -> list[CheckResult]:
    """Connect to the broker, if one is configured."""
    if not settings.broker_url:
        return [CheckResult("broker", True, "none configured: runs use the in-process executor")]
    from kombu.connection import Connection

    from farm.db.engine import safe_url

    name = f"broker {safe_url(settings.broker_url)}"
    try:
        with Connection(settings.broker_url, connect_timeout=3) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:  # noqa: BLE001  kombu raises many types; report any of them
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [CheckResult(name, False, f"unreachable: {line}")]
    return [CheckResult(name, True, "reachable")]


def check_endpoints(settings: Settings) -> list[CheckResult]:
    """Probe every configured endpoint (environment and models file) for health and models."""
    from farm.endpoints.check import check_endpoints as probe_configured

    try:
        found = probe_configured(settings)
    except FarmError as exc:
        return [CheckResult("endpoints", False, exc.message)]
    if not found:
        return [CheckResult("endpoints", True, "none configured in the environment or models file")]
    return [CheckResult(f"endpoint {h.name} {h.url}", h.ok, h.detail) for h in found]


#: The checks, in report order. Each returns one or more result lines.
CHECKS: list[Callable[[Settings], list[CheckResult]]] = [
    check_database,
    check_broker,
    check_endpoints,
]


def run_checks(settings: Settings) -> list[CheckResult]:
    """Run every check and collect its lines."""
    results: list[CheckResult] = []
    for check in CHECKS:
        results.extend(check(settings))
    return results
