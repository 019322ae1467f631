"""Aggregate a run's results into ``run_scores``: one row per category and per section."""

from __future__ import annotations

import uuid

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from farm.agentic.sensitivity import CONFIG_KIND, STAT_KIND, sensitivity_stats
from farm.benchmarks.registry import benchmark_of
from farm.db.models import Result, Run, RunScore, Shard, TestCase
from farm.errors import RunError
from farm.report.latency import write_run_stats
from farm.scoring.sections import CategoryScore
from farm.suites.categories import FORMAT_SENSITIVITY
from farm.suites.sensitivity import split_case_id


def category_totals(session: Session, run_id: uuid.UUID) -> dict[str, tuple[int, int, int]]:
    """``category -> (n, correct, inference errors)`` of a run, counted in SQL."""
    return {cat: (n, correct, errors) for cat, (n, correct, errors, _) in _totals(session, run_id)}


def _totals(session: Session, run_id: uuid.UUID) -> list[tuple[str, tuple[int, int, int, int]]]:
    """``(category, (n, correct, inference errors, scorer errors))`` of a run's results."""
    rows = session.execute(
        select(
            Result.category,
            func.count(),
            func.sum(case((Result.valid.is_(True), 1), else_=0)),
            func.sum(case((Result.inference_error.is_not(None), 1), else_=0)),
            func.sum(case((Result.error_type == "scorer_error", 1), else_=0)),
        )
        .where(Result.run_id == run_id)
        .group_by(Result.category)
    ).all()
    return [(c, (int(n), int(ok or 0), int(err or 0), int(se or 0))) for c, n, ok, err, se in rows]


def _planned(session: Session, run: Run) -> dict[str, int]:
    """Cases per category a farm run planned.

    Every case of its categories, or, for a run narrowed by ``--cases``, ``--sample`` or
    ``--subset`` (``options["selection"]``), the cases of its shards (a rescored run:
    those of the run it was rescored from, as far as its suite version still has them).
    """
    rows = session.execute(
        select(TestCase.case_id, TestCase.category).where(
            TestCase.suite_id == run.suite_id, TestCase.category.in_(run.categories or [])
        )
    ).all()
    chosen = planned_case_ids(session, run)
    planned: dict[str, int] = {}
    for case_id, category in rows:
        if chosen is None or case_id in chosen:
            planned[category] = planned.get(category, 0) + 1
    return planned


def planned_case_ids(session: Session, run: Run, depth: int = 0) -> set[str] | None:
    """The case ids a narrowed run planned; None for a run of whole categories.

    A run with ``options["selection"]``: the ids of its shards; a rescored run (no shards):
    those its source planned; otherwise the ids of its stored results.
    """
    options = run.options or {}
    if not options.get("selection"):
        return None
    ids: set[str] = set()
    for chunk in session.scalars(select(Shard.case_ids).where(Shard.run_id == run.id)):
        ids.update(str(c) for c in chunk or [])
    if ids:
        return ids
    source_id = options.get("rescored_from")
    source = session.get(Run, uuid.UUID(str(source_id))) if source_id and depth < 32 else None
    if source is not None:
        return planned_case_ids(session, source, depth + 1)
    # no shards and no source: what was stored is what was planned
    return {str(c) for c in session.scalars(select(Result.case_id).where(Result.run_id == run.id))}


def imported(session: Session, run: Run, depth: int = 0) -> bool:
    """Whether ``run`` holds imported BFCL results: a ``farm evaluate`` run, or a rescore of one.

    Those are scored on the entries present, as ``bfcl evaluate --partial-eval`` does; the
    farm's own runs (and their rescores) count every planned case.
    """
    if run.source == "evaluate":
        return True
    source_id = (run.options or {}).get("rescored_from")
    if run.source != "rescore" or not source_id or depth >= 32:
        return False
    source = session.get(Run, uuid.UUID(str(source_id)))
    return source is not None and imported(session, source, depth + 1)


def write_run_scores(session: Session, run_id: uuid.UUID) -> None:
    """Replace the run's ``run_scores`` rows with fresh category and section scores.

    Every category of the run gets a row with ``ran=True`` (a category planned but with no
    result rows scores 0 of 0); sections are the run's benchmark's (BFCL v4's formulas for
    BFCL, where categories the run did not include count as 0 and mark the section
    ``ran=False``).

    In the farm's own runs a case without a verdict counts as wrong: ``n`` is the number of
    planned cases, ``errors`` counts failed inferences and cases never run, and
    ``scorer_errors`` the cases whose scorer raised. Imported runs (``farm evaluate``) keep
    BFCL's verdicts, their ``errors`` being the imported inference errors.

    Raises:
        RunError: the run does not exist.
    """
    run = session.get(Run, run_id)
    if run is None:
        raise RunError(f"unknown run {run_id}")
    totals = dict(_totals(session, run_id))
    planned = {} if imported(session, run) else _planned(session, run)
    categories = list(dict.fromkeys([*(run.categories or []), *totals]))
    session.execute(delete(RunScore).where(RunScore.run_id == run_id))
    scores: dict[str, CategoryScore] = {}
    for category in categories:
        n, correct, errors, scorer_errors = totals.get(category, (0, 0, 0, 0))
        if planned.get(category, 0) > n:  # cases never run count as errors (wrong)
            errors += planned[category] - n
            n = planned[category]
        scores[category] = CategoryScore(category, n, correct, True)
        session.add(
            RunScore(
                run_id=run_id,
                category=category,
                kind="category",
                n=n,
                correct=correct,
                errors=errors,
                scorer_errors=scorer_errors,
                accuracy=correct / n if n else 0.0,
                ran=True,
            )
        )
    for section in benchmark_of(categories).sections(scores):
        session.add(
            RunScore(
                run_id=run_id,
                category=section.name,
                kind="section",
                n=section.n,
                correct=0,
                errors=0,
                accuracy=section.accuracy,
                ran=section.ran,
            )
        )
    if FORMAT_SENSITIVITY in scores:
        _write_format_sensitivity(session, run)
    write_run_stats(session, run_id)
    session.flush()


def _write_format_sensitivity(session: Session, run: Run) -> None:
    """Store BFCL's format-sensitivity statistics of ``run`` from its per-case verdicts.

    One ``run_scores`` row of kind :data:`~farm.agentic.sensitivity.CONFIG_KIND` per
    configuration (``n`` cases, ``correct``, ``errors``: failed inferences and, in the farm's
    own runs, planned cases never run, which count as wrong) and one of kind
    :data:`~farm.agentic.sensitivity.STAT_KIND` per statistic (max delta, standard deviation,
    variance, in BFCL's units: percentage points, points squared), as BFCL's
    ``format_sensitivity_runner`` computes them.
    """
    verdicts: dict[str, tuple[bool, bool]] = {
        str(cid): (bool(valid), err is not None)
        for cid, valid, err in session.execute(
            select(Result.case_id, Result.valid, Result.inference_error).where(
                Result.run_id == run.id, Result.category == FORMAT_SENSITIVITY
            )
        )
    }
    if not imported(session, run):  # every planned case counts: one never run is wrong
        chosen = planned_case_ids(session, run)
        for cid in session.scalars(
            select(TestCase.case_id).where(
                TestCase.suite_id == run.suite_id, TestCase.category == FORMAT_SENSITIVITY
            )
        ):
            if (chosen is None or cid in chosen) and cid not in verdicts:
                verdicts[cid] = (False, True)
    stats = sensitivity_stats((cid, valid) for cid, (valid, _) in verdicts.items())
    errors: dict[str, int] = {}
    for cid, (_, failed) in verdicts.items():
        config = split_case_id(cid)[1]
        errors[config] = errors.get(config, 0) + int(failed)
    for config, score in stats.per_config.items():
        session.add(
            RunScore(
                run_id=run.id,
                category=config,
                kind=CONFIG_KIND,
                n=score.total,
                correct=score.correct,
                errors=errors.get(config, 0),
                accuracy=score.accuracy,
                ran=True,
            )
        )
    for name, value in stats.stats().items():
        session.add(
            RunScore(
                run_id=run.id,
                category=name,
                kind=STAT_KIND,
                n=len(stats.per_config),
                correct=0,
                errors=0,
                accuracy=value,
                ran=True,
            )
        )
