"""One case of a shard: its benchmark solves it, then the verdict or the failure, as a typed row.

Failures follow :mod:`farm.failures`: an inference that failed is a model-error row
(no verdict), a scorer that raised is a ``scorer_error`` row that keeps the raw output,
and every inference is counted by the process's breaker (layer 3).
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any

from farm.benchmarks.registry import benchmark_for
from farm.errors import FarmError
from farm.formats.reply import truncation_kind
from farm.result_row import INTERNAL_ERROR, SCORER_ERROR, Failure, ResultRow, failed_row
from farm.suites.case import Case

if TYPE_CHECKING:
    from farm.inference import ToolRetrieval
    from farm.models.registry import ModelSpec
    from farm.shards import ShardEnv

log = logging.getLogger(__name__)


async def run_case(
    env: ShardEnv,
    model: ModelSpec,
    case: Case,
    suite_extra: dict[str, Any] | None,
    retrieval: ToolRetrieval | None,
) -> ResultRow:
    """Infer and score one case; every failure becomes a row (see :mod:`farm.failures`).

    Endpoint and request failures give a model-error row, a scorer that raises a
    ``scorer_error`` row; each inference is counted by the process's breaker.
    """
    accounting: dict[str, Any] = {}
    try:
        outcome = await benchmark_for(case.category).solve(
            case, model, env.pool, suite_extra=suite_extra, tool_retrieval=retrieval
        )
        accounting = {
            "latency_s": outcome.latency_s,
            "input_tokens": outcome.input_tokens,
            "output_tokens": outcome.output_tokens,
            "attempts": outcome.attempts,
            "endpoint": outcome.endpoint,
            "call_info": getattr(outcome, "call_info", None),
        }
        failure = (
            None
            if outcome.error_type is None
            else Failure(
                outcome.error_type, outcome.error_message or outcome.error_type, outcome.attempts
            )
        )
    except FarmError as exc:
        outcome, failure = None, Failure(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug must not lose the shard: it becomes an error row
        log.exception("inference of %s failed", case.case_id)
        outcome, failure = None, Failure(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")
    if env.breaker is not None:
        env.breaker.record(
            ok=failure is None,
            endpoint=accounting.get("endpoint"),
            reason=failure.message if failure else "",
            kind=failure.kind if failure else None,
        )
    if failure is not None or outcome is None:
        assert failure is not None
        return failed_row(case.case_id, case.category, failure, worker=env.worker, **accounting)
    return _scored_row(case, model, outcome.raw_output, suite_extra, env.worker, accounting)


def _scored_row(
    case: Case,
    model: ModelSpec,
    raw_output: Any,
    suite_extra: dict[str, Any] | None,
    worker: str,
    accounting: dict[str, Any],
) -> ResultRow:
    """The verdict on ``raw_output``; a scorer that raises gives a ``scorer_error`` row."""
    try:
        verdict = benchmark_for(case.category).score(
            case,
            raw_output,
            mode=model.mode,
            underscore_to_dot=model.dots_replaced,
            suite_extra=suite_extra,
        )
    except Exception as exc:  # scorer bugs are recorded apart, never a wrong answer
        log.exception("scoring of %s failed", case.case_id)
        failure = Failure(
            SCORER_ERROR,
            f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
            detail=traceback.format_exc()[-4000:],
        )
        return failed_row(
            case.case_id,
            case.category,
            failure,
            worker=worker,
            raw_output=raw_output,
            **accounting,
        )
    return ResultRow(
        case.case_id,
        case.category,
        raw_output=raw_output,
        decoded=verdict.decoded,
        valid=verdict.valid,
        error_type=truncation_kind(verdict.valid, verdict.error_type, accounting.get("call_info")),
        error_detail=verdict.detail,
        worker=worker,
        **accounting,
    )
