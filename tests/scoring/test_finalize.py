"""write_run_scores aggregates results in SQL into category and section rows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from farm.db.models import Model, Result, Run, RunScore, Shard, Suite
from farm.db.models import TestCase as CaseRow
from farm.errors import RunError
from farm.finalize import write_run_scores


def _run(session: Session, categories: list[str]) -> Run:
    suite = Suite(name=f"s-{uuid.uuid4().hex[:6]}", version="1", source="test", sha256="0" * 64)
    model = Model(key=f"m-{uuid.uuid4().hex[:6]}", display_name="m", backend="fake", mode="fc")
    session.add_all([suite, model])
    session.flush()
    run = Run(model_key=model.key, suite_id=suite.id, categories=categories, mode="fc",
              farm_version="test")  # fmt: skip
    session.add(run)
    session.flush()
    return run


def _result(run: Run, case_id: str, category: str, valid: bool, error: str | None = None) -> Result:
    return Result(run_id=run.id, case_id=case_id, category=category, valid=valid,
                  inference_error=error, raw_output=None if error else "x")  # fmt: skip


def test_scores_count_cases_correct_answers_and_inference_errors(db_session: Session) -> None:
    run = _run(db_session, ["simple_python", "irrelevance", "live_simple"])
    db_session.add_all(
        [
            _result(run, "simple_python_0", "simple_python", True),
            _result(run, "simple_python_1", "simple_python", False),
            _result(run, "simple_python_2", "simple_python", False, "EndpointTransient"),
            _result(run, "irrelevance_0", "irrelevance", True, "EndpointPermanent"),
        ]
    )
    db_session.flush()
    write_run_scores(db_session, run.id)
    write_run_scores(db_session, run.id)  # recomputing replaces, never duplicates
    rows = db_session.scalars(select(RunScore).where(RunScore.run_id == run.id)).all()
    by_key = {(r.kind, r.category): r for r in rows}
    simple = by_key[("category", "simple_python")]
    assert (simple.n, simple.correct, simple.errors) == (3, 1, 1)
    assert simple.accuracy == pytest.approx(1 / 3)
    live = by_key[("category", "live_simple")]
    assert (live.n, live.correct, live.ran) == (0, 0, True)
    assert by_key[("category", "irrelevance")].errors == 1
    sections = {c for k, c in by_key if k == "section"}
    assert {"overall", "non_live", "live", "irrelevance", "multi_turn"} <= sections
    assert by_key[("section", "non_live_simple")].accuracy == pytest.approx(1 / 9)
    assert by_key[("section", "non_live_simple")].ran is False
    assert len(rows) == 3 + len(sections)


def test_scores_of_an_unknown_run_are_an_error(db_session: Session) -> None:
    with pytest.raises(RunError):
        write_run_scores(db_session, uuid.uuid4())


def test_a_run_narrowed_to_some_cases_is_scored_on_those_cases(db_session: Session) -> None:
    """--cases/--sample/--subset: the cases never planned are not counted as wrong."""
    run = _run(db_session, ["simple_python"])
    db_session.add_all(
        CaseRow(
            suite_id=run.suite_id,
            case_id=f"simple_python_{i}",
            category="simple_python",
            language="python",
            position=i,
            turns=[],
            functions=[],
            answer=None,
            extra={},
            content_hash=f"{i:064d}",
        )  # fmt: skip
        for i in range(10)
    )
    run.options = {"selection": {"definition": "--cases simple_python_0-3", "cases": 4}}
    db_session.add(
        Shard(run_id=run.id, shard_no=0, case_ids=[f"simple_python_{i}" for i in range(4)])
    )
    db_session.add_all(
        [
            _result(run, "simple_python_0", "simple_python", True),
            _result(run, "simple_python_1", "simple_python", True),
            _result(run, "simple_python_2", "simple_python", False),
        ]
    )  # simple_python_3 planned but never run: wrong, an error
    db_session.flush()
    write_run_scores(db_session, run.id)
    simple = db_session.scalars(
        select(RunScore).where(RunScore.run_id == run.id, RunScore.category == "simple_python")
    ).one()
    assert (simple.n, simple.correct, simple.errors) == (4, 2, 1)
    assert simple.accuracy == pytest.approx(0.5)
