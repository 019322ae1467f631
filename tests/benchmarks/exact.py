"""A tiny benchmark that is not BFCL: "call this function with exactly these arguments".

It lives in the test package only and reaches the farm through the ``farm.benchmarks``
entry-point group, so it proves that a benchmark needs no change to any core module. A
case's ``answer`` is ``{"name": ..., "arguments": {...}}``; a reply is valid when it decodes
(with the run's call format) to exactly that one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farm.benchmarks.base import Benchmark
from farm.benchmarks.registry import benchmark
from farm.endpoints.pool import EndpointPool, RequestRejected, RetriesExhausted
from farm.endpoints.types import CompletionRequest
from farm.errors import EndpointPermanent, EndpointTransient
from farm.formats import get_format
from farm.formats.pydecode import DecodeError
from farm.inference import PERMANENT, TRANSIENT, InferenceOutcome, ToolRetrieval, failed
from farm.models.registry import ModelSpec
from farm.scoring.sections import CategoryScore, SectionScore
from farm.scoring.verdict import Verdict
from farm.suites.case import Case

CATEGORY = "exact_call"


@benchmark("exact")
class ExactCall(Benchmark):
    """One request per case; valid iff the one call made is exactly the expected one."""

    categories = (CATEGORY,)
    section_names = ("overall",)
    columns = (("Exact", "overall"),)

    async def solve(
        self,
        case: Case,
        spec: ModelSpec,
        pool: EndpointPool,
        *,
        suite_extra: Mapping[str, Any] | None = None,
        tool_retrieval: ToolRetrieval | None = None,
    ) -> InferenceOutcome:
        call_format = get_format(spec.mode)
        messages = call_format.opening(list(case.turns[0]), case.functions, case.case_id)
        request = CompletionRequest(
            messages=messages,
            tools=call_format.tools(case.functions, copy=True),
            generation=dict(spec.generation),
            case=case,
        )
        try:
            completion = await pool.complete(request)
        except (RetriesExhausted, RequestRejected) as exc:
            kind = TRANSIENT if isinstance(exc, EndpointTransient) else PERMANENT
            return failed(kind, exc.message, attempts=exc.attempts, endpoint=exc.endpoint)
        except (EndpointTransient, EndpointPermanent) as exc:
            return failed(PERMANENT, exc.message)
        return InferenceOutcome(
            raw_output=call_format.record(completion),
            latency_s=completion.latency_s,
            attempts=completion.attempts,
            endpoint=completion.endpoint,
        )

    def score(
        self,
        case: Case,
        reply: Any,
        *,
        mode: str,
        underscore_to_dot: bool,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> Verdict:
        try:
            decoded = get_format(mode).decode(reply, language="python")
        except DecodeError as exc:
            return Verdict(False, "exact:decode_failed", [str(exc)], None)
        expected = [{case.answer["name"]: case.answer["arguments"]}]
        if decoded == expected:
            return Verdict(True, None, None, decoded)
        return Verdict(False, "exact:mismatch", [f"expected {expected}"], decoded)

    def sections(self, scores: Mapping[str, CategoryScore]) -> list[SectionScore]:
        score = scores.get(CATEGORY)
        if score is None or not score.ran:
            return [SectionScore("overall", 0.0, False, 0)]
        return [SectionScore("overall", score.accuracy, True, score.n)]
