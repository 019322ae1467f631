"""Comparing two runs case by case, and a model's history over time."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from farm.db.lookup import resolve_run_id
from farm.db.models import Model, Result, Run, RunScore, Suite
from farm.errors import ConfigError, RunError
from farm.report.coverage import SubsetCases, restricted_rows
from farm.report.latency import tune_for_reports
from farm.report.queries import (
    as_score,
    category_order,
    load_runs,
    metric_kind,
    natural_key,
)
from farm.report.repeats import (
    case_verdicts,
    collapse_repeats,
    group_runs,
    merged_row,
    scored_ids,
    summarize,
)
from farm.report.rows import (
    ComparedScore,
    Comparison,
    FlippedCase,
    HistoryPoint,
    RunRow,
    Score,
)
from farm.report.scores import weights_of
from farm.report.stats import mcnemar_exact
from farm.suites.store import resolve_suite


def compare(
    session: Session,
    run_a: str,
    run_b: str,
    *,
    allow_different_suites: bool = False,
    subset: SubsetCases | None = None,
) -> Comparison:
    """Compare run B against run A (the baseline).

    For every category and section: both scores, the delta (B - A) and the two-sided exact
    McNemar p-value over the cases both runs share. Regressions are shared cases valid in A
    and not in B; improvements the reverse. A run that is one repeat of a group
    (``--repeats K``) stands for its whole group: scores are the means over the repeats
    and cases are paired on their per-case means (see :func:`_compare_means`).

    With ``subset``, both runs are scored and paired on the subset's cases only.

    Raises:
        RunError: a run is unknown, both references name the same run, or a run lacks
            some of the subset's cases.
        ConfigError: the runs are on different suite versions or cover different case
            sets (``--cases``, ``--sample``, ``--subset``; no ``subset`` given here),
            ``allow_different_suites`` is false and neither run was rescored from the other
            (``farm rescore``).
    """
    tune_for_reports(session)
    id_a, id_b = resolve_run_id(session, run_a), resolve_run_id(session, run_b)
    if id_a == id_b:
        raise RunError(f"{run_a!r} and {run_b!r} are the same run")
    tag_a, group_a = group_runs(session, id_a)
    tag_b, group_b = group_runs(session, id_b)
    same_group = tag_a is not None and tag_b is not None and tag_a.group == tag_b.group
    # a run and its rescore compare as two plain runs: the moved verdicts, not the group's
    rescored = rescored_pair(session, id_a, id_b)
    if (len(group_a) > 1 or len(group_b) > 1) and not same_group and not rescored:
        a, b = _group_row(session, group_a, subset), _group_row(session, group_b, subset)
    else:
        a, b = (_restrict(session, row, subset) for row in load_runs(session, [id_a, id_b]))
    if a.suite != b.suite and not allow_different_suites and not rescored:
        raise ConfigError(
            f"run {a.short_id} is on {a.suite} and run {b.short_id} on {b.suite}; "
            "scores on different suite versions are not comparable "
            "(pass --allow-different-suites to compare anyway)"
        )
    if subset is None and a.case_key != b.case_key and not allow_different_suites and not rescored:
        sel_a, sel_b = a.selection or "whole categories", b.selection or "whole categories"
        what = (
            f"runs {a.short_id} and {b.short_id} both cover {sel_a}, drawn from different "
            "cases (other categories or call formats: an FC run leaves format_sensitivity out)"
            if sel_a == sel_b
            else f"run {a.short_id} covers {sel_a} and run {b.short_id} {sel_b}"
        )
        raise ConfigError(
            f"{what}; scores over different case "
            "sets are not comparable (pass --subset NAME to score both on a subset's cases, "
            "or --allow-different-suites to pair the shared cases anyway)"
        )
    if a.repeats is not None or b.repeats is not None:
        return _compare_means(session, a, b, subset)
    ra, rb = aliased(Result), aliased(Result)
    pair = and_(ra.run_id == id_a, rb.run_id == id_b, ra.case_id == rb.case_id)
    if subset is not None:
        pair = and_(pair, ra.case_id.in_(subset.case_ids))
    counts = session.execute(
        select(
            ra.category,
            func.count(),
            # a case without a verdict (failed) counts as not correct
            func.sum(case((and_(ra.valid.is_(True), rb.valid.is_not(True)), 1), else_=0)),
            func.sum(case((and_(ra.valid.is_not(True), rb.valid.is_(True)), 1), else_=0)),
        )
        .join(rb, pair)
        .group_by(ra.category)
    ).all()
    flips = session.execute(
        select(ra.case_id, ra.category, ra.valid, ra.error_type, rb.error_type)
        .join(rb, pair)
        .where(func.coalesce(ra.valid, False) != func.coalesce(rb.valid, False))
    ).all()
    flips = sorted(flips, key=lambda f: (category_order(f[1]), natural_key(f[0])))
    regressions = [FlippedCase(c, cat, ea, eb) for c, cat, va, ea, eb in flips if va]
    improvements = [FlippedCase(c, cat, ea, eb) for c, cat, va, ea, eb in flips if not va]
    per_cat = {cat: (int(n), int(oa or 0), int(ob or 0)) for cat, n, oa, ob in counts}
    return assemble(a, b, per_cat, regressions, improvements)


def _restrict(session: Session, row: RunRow, subset: SubsetCases | None) -> RunRow:
    """``row`` scored on the subset's cases (itself without a subset)."""
    if subset is None:
        return row
    kept, _ = restricted_rows(session, [row], subset)
    if not kept:
        raise RunError(f"run {row.short_id} lacks some cases of {subset.label}")
    return kept[0]


def _group_row(session: Session, runs: Sequence[Run], subset: SubsetCases | None) -> RunRow:
    """A run, or a repeat group merged into one row (the means over its scored repeats)."""
    scored = set(scored_ids(session, [r.id for r in runs]))
    runs = [r for r in runs if r.id in scored] or list(runs[:1])
    rows = [_restrict(session, row, subset) for row in load_runs(session, [r.id for r in runs])]
    if len(rows) < 2:
        return rows[0]
    return merged_row(rows, summarize(session, runs))


def _compare_means(
    session: Session, a: RunRow, b: RunRow, subset: SubsetCases | None = None
) -> Comparison:
    """Two repeat groups (or a group and a run) paired on per-case mean accuracy.

    A case counts for A when its mean over A's repeats is higher than over B's, and for B
    the other way; the exact two-sided sign test on those counts is McNemar's test when
    both sides have one repeat.
    """
    ids_a = list(a.repeats.run_ids) if a.repeats is not None else [a.run_id]
    ids_b = list(b.repeats.run_ids) if b.repeats is not None else [b.run_id]
    va, vb = case_verdicts(session, ids_a), case_verdicts(session, ids_b)
    if subset is not None:
        wanted = set(subset.case_ids)
        va = {c: v for c, v in va.items() if c in wanted}
    per_cat: dict[str, tuple[int, int, int]] = {}
    better: list[FlippedCase] = []
    worse: list[FlippedCase] = []
    for case_id, (category, verdicts_a) in va.items():
        if case_id not in vb:
            continue
        mean_a = sum(verdicts_a) / len(verdicts_a)
        verdicts_b = vb[case_id][1]
        mean_b = sum(verdicts_b) / len(verdicts_b)
        n, oa, ob = per_cat.get(category, (0, 0, 0))
        per_cat[category] = (n + 1, oa + (mean_a > mean_b), ob + (mean_b > mean_a))
        if mean_a != mean_b:
            flip = FlippedCase(case_id, category, None, None)
            (worse if mean_a > mean_b else better).append(flip)

    def order(f: FlippedCase) -> tuple[tuple[int, str], list[int | str]]:
        return (category_order(f.category), natural_key(f.case_id))

    return assemble(a, b, per_cat, sorted(worse, key=order), sorted(better, key=order))


def assemble(
    a: RunRow,
    b: RunRow,
    per_cat: dict[str, tuple[int, int, int]],
    regressions: list[FlippedCase],
    improvements: list[FlippedCase],
) -> Comparison:
    """The comparison from per-category ``(shared, only A better, only B better)`` counts."""

    def compared(name: str, members: Sequence[str], *, section: bool) -> ComparedScore:
        shared = sum(per_cat.get(c, (0, 0, 0))[0] for c in members)
        only_a = sum(per_cat.get(c, (0, 0, 0))[1] for c in members)
        only_b = sum(per_cat.get(c, (0, 0, 0))[2] for c in members)
        return ComparedScore(
            name=name,
            a=(a.sections if section else a.categories).get(name),
            b=(b.sections if section else b.categories).get(name),
            shared=shared,
            only_a=only_a,
            only_b=only_b,
            p_value=mcnemar_exact(only_a, only_b) if shared else None,
        )

    categories = sorted({*a.categories, *b.categories}, key=category_order)
    sections = [
        compared(name, sorted(members_of(a, name) | members_of(b, name)), section=True)
        for name in dict.fromkeys([*a.sections, *b.sections])
    ]
    return Comparison(
        a=a,
        b=b,
        sections=sections,
        categories=[compared(c, [c], section=False) for c in categories],
        regressions=regressions,
        improvements=improvements,
        same_suite=a.suite == b.suite,
    )


def rescored_pair(session: Session, a: uuid.UUID, b: uuid.UUID) -> bool:
    """Whether one of two runs was rescored from the other (``farm rescore``)."""
    rows = session.execute(select(Run.id, Run.options).where(Run.id.in_([a, b]))).all()
    links = {run_id: (options or {}).get("rescored_from") for run_id, options in rows}
    return links.get(b) == str(a) or links.get(a) == str(b)


def members_of(row: RunRow, section: str) -> set[str]:
    """The categories of ``row`` that ran and feed ``section``."""
    return {c for c, _ in weights_of(row.categories).get(section, ())}


def flip_summary(cases: Sequence[FlippedCase]) -> dict[str, int]:
    """Number of flipped cases per category."""
    return dict(Counter(c.category for c in cases))


def history(
    session: Session,
    *,
    model: str,
    category: str | None = None,
    suite: str | None = None,
    limit: int | None = None,
    subset: SubsetCases | None = None,
) -> list[HistoryPoint]:
    """A model's scores over time: one point per scored run (or repeat group), oldest first.

    Args:
        session: An open session.
        model: Model key or display name.
        category: A section (default ``overall``) or leaf category name.
        suite: Restrict to ``name`` (newest version) or ``name@version``.
        limit: Keep only the newest ``limit`` runs.
        subset: Score every run on these cases only (runs on its suite version that lack
            some of them are left out).
    """
    if subset is not None:
        suite = f"{subset.suite.name}@{subset.suite.version}"
    metric = category or "overall"
    keys = list(
        session.scalars(
            select(Model.key).where(or_(Model.key == model, Model.display_name == model))
        )
    )
    if not keys:
        raise ConfigError(f"unknown model {model!r} (give a model key or display name)")
    has_scores = select(RunScore.run_id).where(RunScore.run_id == Run.id).exists()
    query = select(Run.id).where(Run.model_key.in_(keys), has_scores)
    if suite is not None:
        query = query.where(Run.suite_id == resolve_suite(session, suite).id)
    query = query.order_by(Run.created_at.desc(), Run.id.desc())
    if limit:
        query = query.limit(limit)

    def load(ids: list[uuid.UUID]) -> list[RunRow]:
        loaded = load_runs(session, ids)
        return restricted_rows(session, loaded, subset)[0] if subset is not None else loaded

    rows = collapse_repeats(session, load(list(session.scalars(query))), load)
    kind = metric_kind(metric, rows)
    rows.sort(key=lambda r: (r.created_at, r.run_id.hex))
    return [
        HistoryPoint(
            run_id=r.run_id,
            created_at=r.created_at,
            suite=r.suite,
            label=r.label,
            metric=metric,
            score=as_score(r, metric, kind),
            case_set=None if subset is not None else r.selection,
        )
        for r in rows
    ]


def histories(
    session: Session, *, models: Sequence[str], suite: str | None = None, limit: int = 50
) -> dict[str, list[HistoryPoint]]:
    """Overall accuracy over time of several models at once: model key -> points, oldest first.

    The newest ``limit`` scored runs per model (of ``suite`` if given), read in one query
    from the ``overall`` section stored when each run was scored (the value
    :func:`history` recomputes from the categories; no interval: the points feed charts).
    """
    if not models:
        return {}
    query = (
        select(
            Run.id,
            Run.model_key,
            Run.created_at,
            Run.label,
            Suite.name,
            Suite.version,
            RunScore.accuracy,
            RunScore.ran,
        )
        .join(Suite, Suite.id == Run.suite_id)
        .join(RunScore, RunScore.run_id == Run.id)
        .where(
            Run.model_key.in_(list(models)),
            RunScore.kind == "section",
            RunScore.category == "overall",
        )
    )
    if suite is not None:
        query = query.where(Run.suite_id == resolve_suite(session, suite).id)
    numbered = query.add_columns(
        func.row_number()
        .over(partition_by=Run.model_key, order_by=(Run.created_at.desc(), Run.id.desc()))
        .label("rn")
    ).subquery()
    rows = session.execute(
        select(numbered)
        .where(numbered.c.rn <= limit)
        .order_by(numbered.c.created_at, numbered.c.id)
    ).all()
    series: dict[str, list[HistoryPoint]] = {m: [] for m in models}
    for rid, key, created, label, name, version, accuracy, ran, _ in rows:
        score = Score(accuracy, bool(ran))
        series[key].append(HistoryPoint(rid, created, f"{name}@{version}", label, "overall", score))
    return series


def history_point(row: RunRow, metric: str = "overall", kind: str = "section") -> HistoryPoint:
    """A run as a point of its model's history of ``metric``."""
    return HistoryPoint(
        run_id=row.run_id,
        created_at=row.created_at,
        suite=row.suite,
        label=row.label,
        metric=metric,
        score=as_score(row, metric, kind),
        case_set=row.selection,
    )
