"""Case queries of the results explorer: a run's cases filtered, and one case in full.

A run has a few thousand results at most, so a listing reads the light columns of the
matching rows (the run's index serves them), sorts them in BFCL's category order and
natural case order, and returns one page; text search looks in the case id and the raw
output. The case page joins the result with its suite case (question, functions, answer).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from farm.db.models import MemorySnapshotRow, Result, Run, Suite, TestCase
from farm.errors import RunError
from farm.report.latency import tune_for_reports
from farm.report.queries import category_order, natural_key

#: Verdict filters: what each keeps.
VERDICTS = ("valid", "wrong", "error", "failed")


@dataclass(frozen=True)
class CaseRow:
    """One case of a run in a listing."""

    case_id: str
    category: str
    valid: bool | None
    error_type: str | None
    inference_error: str | None
    latency_s: float | None
    input_tokens: int | None
    output_tokens: int | None

    @property
    def verdict(self) -> str:
        """``valid``, ``error`` (inference failed) or ``wrong``."""
        if self.inference_error:
            return "error"
        return "valid" if self.valid else "wrong"


@dataclass(frozen=True)
class CaseDetail:
    """One case of one run in full: the suite's case and the run's result.

    ``question`` is the case's ``turns`` (messages per turn), ``functions`` the functions
    offered, ``answer`` the expected answer(s) (None for categories without one).
    ``raw_output`` is None when inference failed (see ``inference_error``); ``call_info``
    is the reply besides its calls (finish reason, who parsed the calls, protocol
    deviations; :mod:`farm.formats.reply`), None for results recorded without it.
    """

    run_id: uuid.UUID
    case_id: str
    category: str
    language: str | None
    question: list[Any] | None
    functions: list[Any] | None
    answer: Any
    case_extra: dict[str, Any]
    raw_output: Any
    decoded: Any
    valid: bool | None
    error_type: str | None
    error_detail: Any
    inference_error: str | None
    inference_message: str | None
    latency_s: float | None
    input_tokens: int | None
    output_tokens: int | None
    attempts: int
    endpoint: str | None
    worker: str | None
    created_at: datetime
    call_info: Any = None
    prerequisite: bool = False

    @property
    def verdict(self) -> str:
        """``valid``, ``error`` (failed inference), ``wrong`` or ``not scored`` (prerequisite)."""
        if self.prerequisite:
            return "not scored"
        if self.inference_error:
            return "error"
        return "valid" if self.valid else "wrong"

    @property
    def error_message(self) -> str | None:
        """BFCL's error message of a wrong answer (``error_message`` or first ``error``)."""
        detail = self.error_detail
        if isinstance(detail, dict):
            message = detail.get("error_message") or detail.get("message")
            if message is None and isinstance(detail.get("error"), list) and detail["error"]:
                message = detail["error"][0]
            return None if message is None else str(message)
        if isinstance(detail, list) and detail:
            return str(detail[0])
        return None if detail is None else str(detail)

    @property
    def execution_results(self) -> list[Any] | None:
        """Multi-turn: per turn, the tool results of the model's steps and of the truth.

        An agentic conversation's come from ``call_info["tool_results"]`` (``model`` only).
        """
        detail = self.error_detail
        if isinstance(detail, dict) and isinstance(detail.get("execution_result"), list):
            return list(detail["execution_result"])
        info = self.call_info
        if isinstance(info, dict) and isinstance(info.get("tool_results"), list):
            return [{"model": turn} for turn in info["tool_results"]]
        return None


@dataclass(frozen=True)
class ErrorKind:
    """Failed cases of one kind.

    Attributes:
        family: ``inference`` (the request failed), ``truncation``, ``protocol`` or
            ``model`` (a wrong answer, by BFCL error type).
        kind: The inference error class or BFCL error type.
    """

    family: str
    kind: str
    count: int


def list_cases(
    session: Session,
    run_id: uuid.UUID,
    *,
    categories: Sequence[str] = (),
    verdict: str | None = None,
    error: str | None = None,
    search: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[CaseRow], int, dict[str, int]]:
    """One page of a run's cases; the number that match; cases per category of the run.

    Args:
        session: An open session.
        run_id: The run.
        categories: Keep these categories (all if empty).
        verdict: ``valid``, ``wrong`` (scored invalid), ``error`` (inference failed) or
            ``failed`` (wrong or error).
        error: Keep cases with this inference error class or BFCL error type.
        search: Text that the case id or the raw output contains (case-insensitive).
        limit: Cases per page.
        offset: Cases skipped before the page.
    """
    tune_for_reports(session)
    query = select(
        Result.case_id,
        Result.category,
        Result.valid,
        Result.error_type,
        Result.inference_error,
        Result.latency_s,
        Result.input_tokens,
        Result.output_tokens,
    ).where(Result.run_id == run_id)
    if categories:
        query = query.where(Result.category.in_(list(categories)))
    if verdict == "valid":
        query = query.where(Result.valid.is_(True))
    elif verdict == "wrong":
        query = query.where(Result.valid.is_not(True), Result.inference_error.is_(None))
    elif verdict == "error":
        query = query.where(Result.inference_error.is_not(None))
    elif verdict == "failed":  # no verdict (a failed inference) counts as failed
        query = query.where(Result.valid.is_not(True))
    if error:
        query = query.where(or_(Result.inference_error == error, Result.error_type == error))
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Result.case_id.ilike(pattern, escape="\\"),
                cast(Result.raw_output, String).ilike(pattern, escape="\\"),
            )
        )
    rows = [CaseRow(*r) for r in session.execute(query)]
    rows.sort(key=lambda r: (category_order(r.category), natural_key(r.case_id)))
    per_category = dict(
        session.execute(
            select(Result.category, func.count())
            .where(Result.run_id == run_id)
            .group_by(Result.category)
        ).all()
    )
    ordered = {c: int(per_category[c]) for c in sorted(per_category, key=category_order)}
    return rows[offset : offset + limit], len(rows), ordered


def case_detail(session: Session, run_id: uuid.UUID, case_id: str) -> CaseDetail:
    """One case of a run with its suite case.

    Raises:
        RunError: the run has no result for ``case_id``.
    """
    result = session.get(Result, (run_id, case_id))
    if result is None:
        prerequisite = prerequisite_detail(session, run_id, case_id)
        if prerequisite is None:
            raise RunError(f"run {run_id.hex[:8]} has no result for case {case_id!r}")
        return prerequisite
    suite_id = session.scalar(select(Run.suite_id).where(Run.id == run_id))
    test = session.get(TestCase, (suite_id, case_id)) if suite_id is not None else None
    return CaseDetail(
        run_id=run_id,
        case_id=case_id,
        category=result.category,
        language=test.language if test else None,
        question=list(test.turns) if test else None,
        functions=list(test.functions) if test else None,
        answer=test.answer if test else None,
        case_extra=dict(test.extra or {}) if test else {},
        raw_output=result.raw_output,
        decoded=result.decoded,
        valid=result.valid,
        error_type=result.error_type,
        error_detail=result.error_detail,
        inference_error=result.inference_error,
        inference_message=result.inference_message,
        latency_s=result.latency_s,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        attempts=result.attempts,
        endpoint=result.endpoint,
        worker=result.worker,
        created_at=result.created_at,
        call_info=result.call_info,
    )


def prerequisite_detail(session: Session, run_id: uuid.UUID, case_id: str) -> CaseDetail | None:
    """A memory prerequisite conversation of a run as a case, unscored; None if not stored.

    Its transcript is the one kept with its snapshot (``memory_snapshots``); the messages
    come from the suite's ``memory_prereq`` chains, the functions from a question of the
    same category.
    """
    row = session.scalar(
        select(MemorySnapshotRow).where(
            MemorySnapshotRow.run_id == run_id, MemorySnapshotRow.prereq_id == case_id
        )
    )
    if row is None:
        return None
    suite = session.scalar(
        select(Suite).join(Run, Run.suite_id == Suite.id).where(Run.id == run_id)
    )
    chain = ((suite.extra or {}).get("memory_prereq") or {}) if suite is not None else {}
    turns = next(
        (
            entry.get("question")
            for entry in chain.get(row.scenario) or ()
            if isinstance(entry, dict)
            and str(entry.get("id", "")).replace("memory", row.category, 1) == case_id
        ),
        None,
    )
    functions = (
        session.scalar(
            select(TestCase.functions)
            .where(TestCase.suite_id == suite.id, TestCase.category == row.category)
            .limit(1)
        )
        if suite is not None
        else None
    )
    return CaseDetail(
        run_id=run_id,
        case_id=case_id,
        category=row.category,
        language="python",
        question=list(turns) if isinstance(turns, list) else None,
        functions=list(functions) if functions is not None else None,
        answer=None,
        case_extra={"scenario": row.scenario, "step": row.step, "prerequisite": True},
        raw_output=row.raw_output,
        decoded=None,
        valid=None,
        error_type=None,
        error_detail=None,
        inference_error=None,
        inference_message=None,
        latency_s=row.latency_s,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        attempts=1,
        endpoint=None,
        worker=None,
        created_at=row.created_at,
        call_info=row.call_info,
        prerequisite=True,
    )


def error_family(inference_error: str | None, error_type: str | None) -> str:
    """``inference``, ``truncation``, ``protocol`` or ``model`` for a failed case."""
    if inference_error:
        return "inference"
    kind = (error_type or "").lower()
    if "truncat" in kind or "max_tokens" in kind or kind == "length":
        return "truncation"
    if kind.startswith("protocol"):
        return "protocol"
    return "model"


def error_kinds(session: Session, run_id: uuid.UUID) -> list[ErrorKind]:
    """The run's failed cases by kind, most frequent first."""
    rows = session.execute(
        select(Result.inference_error, Result.error_type, func.count())
        .where(Result.run_id == run_id, Result.valid.is_not(True))
        .group_by(Result.inference_error, Result.error_type)
    ).all()
    merged: dict[tuple[str, str], int] = {}
    for inference_error, error_type, n in rows:
        family = error_family(inference_error, error_type)
        kind = inference_error or error_type or "(no error type)"
        merged[(family, kind)] = merged.get((family, kind), 0) + int(n)
    kinds = [ErrorKind(f, k, n) for (f, k), n in merged.items()]
    return sorted(kinds, key=lambda e: (-e.count, e.family, e.kind))
