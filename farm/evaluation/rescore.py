"""``farm rescore``: score a run's stored outputs again, as a new run linked to its source.

No inference happens. Every result of the source run keeps its raw output, latency, tokens,
inference error and reply record (``call_info``: a reply cut by ``max_tokens`` stays a
truncation, protocol deviations stay recorded); the verdict is computed again with today's
scorer (the case's benchmark, :mod:`farm.benchmarks`) against the cases of the target suite
version (the source run's own, or e.g. a version derived by errata, ``bfcl@V+NAME``). Cases
the target no longer has (removed by errata) are left out and counted; a failed inference
of the farm's own run stays a failed inference without a verdict (and the new run is then
``incomplete``), while imported BFCL rows keep BFCL's rule. The new run has source
``rescore`` and records ``options["rescored_from"]`` (the source run id) and the suite it
was rescored against, so ``farm compare SOURCE NEW`` shows exactly which verdicts moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.orm import Session

from farm import __version__
from farm.benchmarks.registry import benchmark_for
from farm.db.base import utcnow
from farm.db.engine import session_scope
from farm.db.lookup import resolve_run_id
from farm.db.models import Model, Result, Run, Suite, TestCase
from farm.errors import RunError
from farm.finalize import planned_case_ids, write_run_scores
from farm.formats import get_format
from farm.formats.reply import truncation_kind
from farm.ledger import ACTIVE_RUN, RUN_DONE, RUN_INCOMPLETE
from farm.result_row import COLUMNS, VERDICT_COLUMNS
from farm.scoring.verdict import Verdict
from farm.suites.case import Case
from farm.suites.store import load_cases, resolve_suite

_BATCH = 1000
_RESULTS = cast(Table, Result.__table__)

#: Result columns carried over unchanged from the source run: all but the case's category
#: (taken from the target suite) and the verdict, so a column added to the row is carried too.
CARRIED = tuple(c for c in COLUMNS if c != "category" and c not in VERDICT_COLUMNS)


@dataclass
class RescoreReport:
    """What ``farm rescore`` did.

    Attributes:
        run_id: the new run.
        source_id: the run whose outputs were scored again.
        suite: ``name@version`` the outputs were scored against.
        n: results scored.
        correct: results now valid.
        moved: ids whose verdict differs from the source run's (valid flipped).
        dropped: ids of the source run that the target suite does not have.
    """

    run_id: uuid.UUID
    source_id: uuid.UUID
    suite: str
    n: int = 0
    correct: int = 0
    moved: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def underscore_to_dot(session: Session, run: Run) -> bool:
    """Whether the run's FC tool names had ``.`` replaced by ``_`` (as it was scored)."""
    options = run.options or {}
    if isinstance(options.get("underscore_to_dot"), bool):
        return bool(options["underscore_to_dot"])
    model = session.get(Model, run.model_key)
    spec = (model.spec if model is not None else None) or {}
    if isinstance(spec.get("underscore_to_dot"), bool):
        return bool(spec["underscore_to_dot"])
    return get_format(run.mode).replaces_dots


def _failed(row: Result) -> bool:
    """A failed inference of the farm's own run: no verdict (imported rows carry BFCL's)."""
    return row.valid is None and row.inference_error is not None


def _verdict(
    case: Case, row: Result, *, mode: str, dots: bool, extra: dict[str, Any] | None
) -> Verdict:
    bench = benchmark_for(case.category)
    if row.inference_error is not None:
        return bench.score_failure(case, row.inference_message or row.inference_error)
    return bench.score(case, row.raw_output, mode=mode, underscore_to_dot=dots, suite_extra=extra)


def rescore_run(
    engine: Engine, ref: str, *, suite_spec: str | None = None, label: str | None = None
) -> RescoreReport:
    """Score the stored outputs of run ``ref`` again as a new run (see the module docstring).

    Raises:
        RunError: unknown run, a run still in progress, or one with no stored result.
        SuiteError: unknown suite, or a target suite with none of the run's cases.
    """
    with session_scope(engine) as session:
        source = session.get(Run, resolve_run_id(session, ref))
        assert source is not None
        if source.status in ACTIVE_RUN:
            raise RunError(
                f"run {str(source.id)[:8]} is {source.status}; rescore it once it has finished"
            )
        suite = (
            resolve_suite(session, suite_spec)
            if suite_spec
            else session.get(Suite, source.suite_id)
        )
        assert suite is not None
        results = list(session.scalars(select(Result).where(Result.run_id == source.id)))
        if not results:
            raise RunError(f"run {str(source.id)[:8]} has no stored result to rescore")
        target = {c.case_id: c for c in _target_cases(session, suite, [r.case_id for r in results])}
        kept = [r for r in results if r.case_id in target]
        if not kept:
            raise RunError(
                f"none of the {len(results)} cases of run {str(source.id)[:8]} is in "
                f"{suite.name}@{suite.version}"
            )
        report = RescoreReport(uuid.uuid4(), source.id, f"{suite.name}@{suite.version}")
        report.dropped = sorted(r.case_id for r in results if r.case_id not in target)
        dots = underscore_to_dot(session, source)
        categories = [c for c in source.categories or [] if any(r.category == c for r in kept)]
        now = utcnow()
        session.add(
            Run(
                id=report.run_id,
                model_key=source.model_key,
                suite_id=suite.id,
                categories=categories or sorted({target[r.case_id].category for r in kept}),
                mode=source.mode,
                generation=dict(source.generation or {}),
                options=_options(session, source, suite, kept, dots, report.suite),
                source="rescore",
                # As incomplete as its source: failed inferences stay without a verdict.
                status=RUN_INCOMPLETE if any(_failed(r) for r in kept) else RUN_DONE,
                n_cases=len(kept),
                label=label,
                farm_version=__version__,
                created_at=now,
                started_at=now,
                finished_at=now,
            )
        )
        session.flush()
        extra = dict(suite.extra or {})
        rows: list[dict[str, Any]] = []
        for row in kept:
            case = target[row.case_id]
            if _failed(row):
                # A failed inference of the farm's own run has no verdict and gets none
                # (farm.failures); imported BFCL rows carry BFCL's verdict and are rescored.
                rows.append(
                    {
                        "run_id": report.run_id,
                        "case_id": row.case_id,
                        "category": case.category,
                        **{name: getattr(row, name) for name in CARRIED},
                        **{name: getattr(row, name) for name in VERDICT_COLUMNS},
                        "created_at": now,
                    }
                )
                report.n += 1
                continue
            verdict = _verdict(case, row, mode=source.mode, dots=dots, extra=extra)
            rows.append(
                {
                    "run_id": report.run_id,
                    "case_id": row.case_id,
                    "category": case.category,
                    **{name: getattr(row, name) for name in CARRIED},
                    "decoded": verdict.decoded,
                    "valid": verdict.valid,
                    # As when it was first scored: an invalid reply cut by max_tokens.
                    "error_type": truncation_kind(verdict.valid, verdict.error_type, row.call_info),
                    "error_detail": verdict.detail,
                    "created_at": now,
                }
            )
            report.n += 1
            report.correct += int(verdict.valid)
            if verdict.valid != row.valid:
                report.moved.append(row.case_id)
            if len(rows) >= _BATCH:
                session.execute(insert(_RESULTS), rows)
                rows = []
        if rows:
            session.execute(insert(_RESULTS), rows)
        write_run_scores(session, report.run_id)
        order = {case_id: i for i, case_id in enumerate(target)}
        report.moved.sort(key=lambda c: order[c])
    return report


def _options(
    session: Session, source: Run, suite: Suite, kept: list[Result], dots: bool, name: str
) -> dict[str, Any]:
    """The source run's options for the new run: linked to it, never one of its repeats.

    A case selection keeps the digest of the cases the source planned that the target
    version still has (so a rescore of an unfinished run stays as unfinished as its source).
    """
    from farm.suites.subsets import cases_digest

    options = {k: v for k, v in (source.options or {}).items() if k != "repeat"}
    selection = options.get("selection")
    if isinstance(selection, dict):
        planned = planned_case_ids(session, source) or {r.case_id for r in kept}
        present = set(
            session.scalars(select(TestCase.case_id).where(TestCase.suite_id == suite.id))
        )
        ids = sorted(planned & present)
        options["selection"] = {**selection, "cases": len(ids), "cases_sha256": cases_digest(ids)}
    return {
        **options,
        "underscore_to_dot": dots,
        "rescored_from": str(source.id),
        "rescored_suite": name,
    }


def _target_cases(session: Session, suite: Suite, case_ids: list[str]) -> list[Case]:
    """The target suite's cases among ``case_ids``, in suite order."""
    wanted = set(case_ids)
    return [c for c in load_cases(session, suite.id) if c.case_id in wanted]
