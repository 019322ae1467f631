"""``farm endpoints probe``: send the conformance requests to an endpoint and judge them.

The requests and checks are in :mod:`farm.endpoints.conformance`. Requests go out at
most ``concurrency`` at a time over one :class:`httpx.AsyncClient` (no proxies from the
environment); the API key, when given, only to that endpoint. An endpoint that answers
none of them (refused, timed out) is an :class:`~farm.errors.EndpointTransient` with one
line naming it; a reply that is not JSON is a non-conforming probe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from farm.endpoints.conformance import (
    FC_ONLY,
    PROBES,
    SHORT,
    Check,
    Probe,
    check_prompt_reply,
    check_reply,
    probe_payload,
)
from farm.errors import ConfigError, EndpointTransient
from farm.models.registry import ModelSpec


@dataclass(frozen=True)
class ProbeReport:
    """The checks of one probe of an endpoint.

    Attributes:
        url: the API root probed.
        model: the ``model`` sent.
        mode: ``fc`` or ``prompt``.
        checks: one per probe, in probe order.
    """

    url: str
    model: str
    mode: str
    checks: list[Check]

    @property
    def passed(self) -> int:
        """Probes whose reply conforms."""
        return sum(c.ok for c in self.checks)

    @property
    def rate(self) -> float:
        """The conformance rate, 0..1."""
        return self.passed / len(self.checks) if self.checks else 0.0

    def text_formats(self) -> list[str]:
        """Family formats the endpoint wrote calls in as text instead of ``tool_calls``."""
        found = [c.text_format for c in self.checks if c.text_format]
        return sorted(set(found))

    def issues(self) -> dict[str, int]:
        """How many probes showed each issue."""
        counts: dict[str, int] = {}
        for check in self.checks:
            for issue in check.issues:
                counts[issue] = counts.get(issue, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--json``)."""
        return {
            "url": self.url,
            "model": self.model,
            "mode": self.mode,
            "passed": self.passed,
            "total": len(self.checks),
            "conformance": round(self.rate, 4),
            "text_formats": self.text_formats(),
            "probes": [
                {
                    "probe": c.probe,
                    "ok": c.ok,
                    "calls": c.calls,
                    "finish_reason": c.finish_reason,
                    "text_format": c.text_format,
                    "issues": c.issues,
                }
                for c in self.checks
            ],
        }


def select_probes(mode: str, *, short: bool = False) -> list[Probe]:
    """The probes for ``mode`` (``fc`` or ``prompt``), all or the short start-up set."""
    if mode not in ("fc", "prompt"):
        raise ConfigError(f"unknown mode {mode!r}: choose fc or prompt")
    chosen = [p for p in PROBES if not short or p.name in SHORT]
    return [p for p in chosen if mode == "fc" or p.name not in FC_ONLY]


async def _one(
    client: httpx.AsyncClient,
    limit: asyncio.Semaphore,
    url: str,
    probe: Probe,
    model: str,
    mode: str,
) -> Check | EndpointTransient:
    body = json.dumps(probe_payload(probe, model, mode)).encode()
    async with limit:
        try:
            response = await client.post(url, content=body)
        except httpx.TimeoutException:
            return EndpointTransient(f"{url}: timed out")
        except httpx.TransportError as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return EndpointTransient(f"{url}: connection failed: {detail}")
    try:
        data = response.json() if response.status_code == 200 else None
    except ValueError:
        check = Check(probe.name)
        check.fail("non_json_body")
        return check
    judge = check_prompt_reply if mode == "prompt" else check_reply
    return judge(probe, response.status_code, data)


async def probe_endpoint(
    base_url: str,
    model: str,
    *,
    mode: str = "fc",
    api_key: str | None = None,
    probes: Sequence[Probe] | None = None,
    timeout: float = 60.0,
    concurrency: int = 8,
) -> ProbeReport:
    """Send the probes to ``base_url`` (an API root ending in ``/v1``) and check the replies.

    Raises:
        EndpointTransient: no probe got an answer (the endpoint is down or unreachable).
        ConfigError: an unknown mode.
    """
    chosen = list(probes) if probes is not None else select_probes(mode)
    url = base_url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    limit = asyncio.Semaphore(max(1, concurrency))
    async with httpx.AsyncClient(
        headers=headers, timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)), trust_env=False
    ) as client:
        answers = await asyncio.gather(*(_one(client, limit, url, p, model, mode) for p in chosen))
    failures = [a for a in answers if isinstance(a, EndpointTransient)]
    if failures and len(failures) == len(answers):
        raise EndpointTransient(f"endpoint probe: {failures[0].message}")
    checks: list[Check] = []
    for probe, answer in zip(chosen, answers, strict=True):
        if isinstance(answer, EndpointTransient):
            check = Check(probe.name)
            check.fail(TIMED_OUT if answer.message.endswith(": timed out") else "no_answer")
            checks.append(check)
        else:
            checks.append(answer)
    unanswered = _not_an_api(checks)
    if unanswered:
        raise EndpointTransient(
            f"endpoint probe: {url}: no chat completion came back ({unanswered}): "
            "not an OpenAI-compatible API root (the URL usually ends in /v1)"
        )
    return ProbeReport(base_url, model, mode, checks)


#: The issue of a probe whose request ran past ``timeout`` (the others got answers).
TIMED_OUT = "timed_out"
#: Issues of a reply that is no chat completion at all.
_NO_COMPLETION = ("http_", "non_json_body", "malformed_response", "no_answer", TIMED_OUT)


def _not_an_api(checks: Sequence[Check]) -> str:
    """The issues, comma-separated, when no check got a chat completion; else ``""``."""
    if not checks or not all(
        c.issues and all(i.startswith(_NO_COMPLETION) for i in c.issues) for c in checks
    ):
        return ""
    seen: dict[str, None] = {}
    for check in checks:
        seen.update(dict.fromkeys(i.replace("http_", "HTTP ") for i in check.issues))
    return ", ".join(seen)


#: Seconds each request of the start-up check may take.
STARTUP_TIMEOUT = 20.0


def startup_check(spec: ModelSpec, *, strict: bool = False) -> list[str]:
    """The short probe of a model's first endpoint made when a run or worker starts.

    Returns one-line warnings: calls answered as text (naming the call format that reads
    them, unless the model's format already does), other non-conformances, or an endpoint
    that did not answer. Models whose call format sends no ``tools`` (prompt mode) and
    in-process (``fake``) models are not probed.

    Raises:
        ConfigError: with ``strict``, on any warning.
    """
    from farm.endpoints.env import resolve_api_key
    from farm.formats.reply import offers_tools

    if not offers_tools(spec.mode) or spec.backend == "fake" or not spec.endpoints:
        return []
    config = spec.endpoints[0]
    try:
        report = asyncio.run(
            probe_endpoint(
                config.base_url,
                spec.request_model,
                api_key=resolve_api_key(config),
                probes=select_probes("fc", short=True),
                timeout=min(STARTUP_TIMEOUT, spec.request_timeout or STARTUP_TIMEOUT),
            )
        )
    except EndpointTransient as exc:
        warnings = [f"{exc.message} (the run goes on; its requests are retried)"]
    else:
        warnings = startup_warnings(report, spec.mode)
    if strict and warnings:
        raise ConfigError(f"--strict: {warnings[0]}")
    return warnings


def startup_warnings(report: ProbeReport, call_format: str) -> list[str]:
    """Warnings from a start-up probe, for a model whose call format is ``call_format``."""
    warnings: list[str] = []
    found = [f for f in report.text_formats() if f != call_format]
    if found:
        warnings.append(
            f"endpoint {report.url} answers tool calls as text ({found[0]} syntax), not as "
            f"tool_calls: use --call-format {found[0]} (or a server tool-call parser)"
        )
    other = {
        k: n
        for k, n in report.issues().items()
        if not k.startswith("calls_as_text:") and not (k == "no_tool_calls" and found)
    }
    if call_format in report.text_formats():
        other.pop("no_tool_calls", None)
    if other:
        listed = ", ".join(f"{k} ({n})" for k, n in sorted(other.items()))
        warnings.append(
            f"endpoint {report.url} tool-calling conformance {report.passed}/"
            f"{len(report.checks)}: {listed} (details: farm endpoints probe)"
        )
    return warnings
