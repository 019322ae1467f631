"""The typed result row of one case, and the error object a failed case carries.

A :class:`ResultRow` is either *scored* (``valid`` is true or false: a verdict on model
output) or *failed* (``failure`` is set and ``valid`` is ``None``: no verdict, never
credit). Failures are of two families, kept apart everywhere they are shown:

- model errors (inference failed: the endpoint, the request, the shard's worker), stored in
  ``results.inference_error`` (the kind) and ``results.inference_message``;
- scorer errors (the farm's scorer raised on an output it was given), stored as
  ``results.error_type = 'scorer_error'`` with the message and traceback in
  ``error_detail``; the model's raw output is kept.

Error text never goes where model output belongs (``raw_output`` stays ``None`` for model
errors). Rows imported from BFCL result files keep BFCL's verdict for their failed
inferences (kind :data:`IMPORTED_ERROR`), so they are scored rows that count as
"imported inference errors".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Failure kinds of model errors (``results.inference_error``).
ENDPOINT_TRANSIENT = "endpoint_transient"
ENDPOINT_PERMANENT = "endpoint_permanent"
REQUEST_BUILD = "request_build"
UNSUPPORTED = "unsupported"
SHARD_ABANDONED = "shard_abandoned"
#: A case that starts from a chain (BFCL's memory prerequisites) whose chain failed.
PREREQUISITE_FAILED = "prerequisite_failed"
INTERNAL_ERROR = "internal_error"
#: The kind of failed inferences imported from BFCL result files (scored by BFCL's rule).
IMPORTED_ERROR = "inference_error"
#: The kind (and ``results.error_type``) of a case whose scorer raised.
SCORER_ERROR = "scorer_error"

#: The columns that hold a verdict (what scoring writes; a rescore replaces exactly these).
VERDICT_COLUMNS = ("decoded", "valid", "error_type", "error_detail")

#: Columns of ``results`` a row fills, besides run_id, case_id and created_at.
COLUMNS = (
    "category",
    "raw_output",
    "decoded",
    "valid",
    "error_type",
    "error_detail",
    "inference_error",
    "inference_message",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "attempts",
    "endpoint",
    "worker",
    "call_info",
)


@dataclass(frozen=True)
class Failure:
    """Why a case has no verdict.

    Attributes:
        kind: one of the module's kinds, e.g. ``endpoint_transient`` or ``scorer_error``.
        message: one line describing the failure.
        attempts: requests made for the case (0 when none was sent).
        detail: further JSON-safe detail (a scorer error's traceback).
    """

    kind: str
    message: str
    attempts: int = 0
    detail: Any = None

    @property
    def is_scorer_error(self) -> bool:
        """Whether the scorer failed (not the model)."""
        return self.kind == SCORER_ERROR


@dataclass(frozen=True)
class ResultRow:
    """What a run stores for one case (see the module docstring).

    Attributes:
        case_id, category: the case.
        raw_output: BFCL's ``result`` shape, or ``None`` when inference failed.
        decoded: decoded calls (scored rows).
        valid: the verdict; ``None`` for failed rows.
        error_type, error_detail: BFCL's error type and detail of a wrong answer.
        failure: why there is no verdict, or ``None``.
        latency_s, input_tokens, output_tokens, attempts, endpoint: request accounting.
        worker: the process that produced the row.
        call_info: how the reply came back (finish reason, content, who parsed the calls,
            protocol deviations; :func:`farm.formats.reply.call_info`), or ``None``.
    """

    case_id: str
    category: str
    raw_output: Any = None
    decoded: Any = None
    valid: bool | None = None
    error_type: str | None = None
    error_detail: Any = None
    failure: Failure | None = None
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    attempts: int = 1
    endpoint: str | None = None
    worker: str | None = None
    call_info: Any = None

    def __post_init__(self) -> None:
        if (self.failure is None) == (self.valid is None):
            raise ValueError(f"result of {self.case_id}: a row has a verdict or a failure")

    @property
    def scored(self) -> bool:
        """Whether the row carries a verdict."""
        return self.valid is not None

    @property
    def model_error(self) -> bool:
        """Whether inference failed (a failure that is not the scorer's)."""
        return self.failure is not None and not self.failure.is_scorer_error

    def columns(self) -> dict[str, Any]:
        """The row as ``results`` column values (without run_id and created_at)."""
        values: dict[str, Any] = {"case_id": self.case_id, "category": self.category}
        values.update(
            raw_output=self.raw_output,
            decoded=self.decoded,
            valid=self.valid,
            error_type=self.error_type,
            error_detail=self.error_detail,
            inference_error=None,
            inference_message=None,
            latency_s=self.latency_s,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            attempts=max(1, self.attempts),
            endpoint=self.endpoint,
            worker=self.worker,
            call_info=self.call_info,
        )
        failure = self.failure
        if failure is not None and failure.is_scorer_error:
            values["error_type"] = SCORER_ERROR
            values["error_detail"] = {"message": failure.message, "traceback": failure.detail}
        elif failure is not None:
            values["inference_error"] = failure.kind
            values["inference_message"] = failure.message
            values["attempts"] = max(1, failure.attempts or self.attempts)
        return values


def failed_row(
    case_id: str, category: str, failure: Failure, *, worker: str | None = None, **fields: Any
) -> ResultRow:
    """A row without a verdict: ``failure`` says why."""
    return ResultRow(case_id, category, failure=failure, worker=worker, **fields)
