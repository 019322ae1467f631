"""Leaderboard, comparison and history queries over ``runs``, ``results`` and ``run_scores``.

Every function takes a SQLAlchemy session and returns typed rows (:mod:`farm.report.rows`);
rendering is elsewhere. Scores come from ``run_scores`` (``kind='category'``); sections
missing there are recomputed with the run's benchmark (:mod:`farm.benchmarks`), so a run's
numbers are the same whichever way it was scored. Format-sensitivity configurations and
statistics (kinds ``format_config``, ``format_stat``) fill ``RunRow.format_sensitivity``.
"""

from __future__ import annotations

import gc
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from farm.agentic.sensitivity import CONFIG_KIND, STAT_KIND
from farm.agentic.web.usage import web_totals
from farm.benchmarks.registry import benchmarks
from farm.benchmarks.registry import category_order as registry_category_order
from farm.db.lookup import resolve_run_id
from farm.db.models import Model, Run, RunScore, RunStats, Suite
from farm.errors import ConfigError
from farm.report.coverage import CATEGORY_RUNS, case_set, rank_by_case_set, restricted_rows
from farm.report.latency import (
    EMPTY,
    STATS_COLUMNS,
    latency_cell,
    summarize_results,
    tune_for_reports,
)
from farm.report.repeats import collapse_repeats, repeat_tag
from farm.report.rows import FormatSensitivity, RunRow, Score, marked_name

if TYPE_CHECKING:
    from farm.report.coverage import SubsetCases
from farm.report.scores import category_cell, section_cells
from farm.suites.store import resolve_suite


@cache
def _category_index() -> dict[str, int]:
    """Display positions of every registered benchmark's categories (read once)."""
    return registry_category_order()


def _scored_runs_query(
    suite_ids: Sequence[int] | None, latest_per_model: bool
) -> Select[tuple[uuid.UUID]]:
    has_scores = select(RunScore.run_id).where(RunScore.run_id == Run.id).exists()
    query = select(Run.id, Run.model_key, Run.suite_id, Run.created_at).where(has_scores)
    if suite_ids is not None:
        query = query.where(Run.suite_id.in_(suite_ids))
    if not latest_per_model:
        return select(query.subquery().c.id)
    numbered = query.add_columns(
        func.row_number()
        .over(
            partition_by=(Run.model_key, Run.suite_id),
            order_by=(Run.created_at.desc(), Run.id.desc()),
        )
        .label("rn")
    ).subquery()
    return select(numbered.c.id).where(numbered.c.rn == 1)


def leaderboard(
    session: Session,
    *,
    suite: str | None = None,
    runs: Sequence[str] = (),
    latest_per_model: bool = False,
    with_latency: bool = True,
    subset: SubsetCases | None = None,
    left_out: list[RunRow] | None = None,
) -> list[RunRow]:
    """The leaderboard: one row per scored run, best Overall first, ranked 1..n.

    Runs are ranked only against runs that cover the same cases
    (:mod:`farm.report.coverage`): each case set is its own block with its own ranks. A
    repeat group is one row (:mod:`farm.report.repeats`).

    Args:
        session: An open session.
        suite: ``name`` or ``name@version``; default: the newest ``bfcl`` if loaded, else
            every suite. Ignored for runs named in ``runs``.
        runs: Run references (ids, id prefixes or labels); when given, only these runs.
        latest_per_model: Keep only the newest scored run of each model (per suite).
        with_latency: Also compute latency and cost from ``results``.
        subset: Score every run on these cases only (its suite replaces ``suite``); runs
            lacking some of them are left out and appended to ``left_out``.
        left_out: Collects the runs ``subset`` left out.
    """
    if subset is not None:
        suite = f"{subset.suite.name}@{subset.suite.version}"
    tune_for_reports(session)
    if runs:
        ids = [resolve_run_id(session, ref) for ref in runs]
        if latest_per_model:  # the newest of the named runs of each model and suite
            named = load_runs(session, ids, with_latency=False)
            newest: dict[tuple[str, str], RunRow] = {}
            for row in named:
                key = (row.model_key, row.suite)
                if key not in newest or row.created_at > newest[key].created_at:
                    newest[key] = row
            ids = [r.run_id for r in named if newest[(r.model_key, r.suite)] is r]
    else:
        query = board_runs(session, suite=suite, latest_per_model=latest_per_model)
        rows = load_runs(session, query, with_latency=with_latency)
        return _by_case_set(session, rows, with_latency, subset, left_out)
    # Ties keep the order the runs were named in, as `bfcl evaluate --model a,b` does.
    rows = load_runs(session, ids, with_latency=with_latency)
    return _by_case_set(session, rows, with_latency, subset, left_out, keep_order=True)


def _by_case_set(
    session: Session,
    rows: list[RunRow],
    with_latency: bool,
    subset: SubsetCases | None,
    left_out: list[RunRow] | None,
    *,
    keep_order: bool = False,
) -> list[RunRow]:
    """Restrict to ``subset``, merge repeat groups, rank each case set on its own."""

    def load(ids: list[uuid.UUID]) -> list[RunRow]:
        loaded = load_runs(session, ids, with_latency=with_latency)
        return restricted_rows(session, loaded, subset)[0] if subset is not None else loaded

    if subset is not None:
        rows, left = restricted_rows(session, rows, subset)
        if left_out is not None:
            left_out.extend(left)
    merged = collapse_repeats(session, rows, load)
    if subset is not None:
        return _ranked(merged, keep_order=keep_order)
    return rank_by_case_set(merged, lambda block: _ranked(block, keep_order=keep_order))


def board_runs(
    session: Session, *, suite: str | None = None, latest_per_model: bool = False
) -> Select[tuple[uuid.UUID]]:
    """A query of the ids of the runs on a leaderboard (see :func:`leaderboard`)."""
    suite_ids: list[int] | None
    if suite is not None:
        suite_ids = [resolve_suite(session, suite).id]
    elif session.scalar(select(func.count()).where(Suite.name == "bfcl")):
        suite_ids = [resolve_suite(session, "bfcl").id]
    else:
        suite_ids = None
    return _scored_runs_query(suite_ids, latest_per_model)


def _ranked(rows: list[RunRow], *, keep_order: bool = False) -> list[RunRow]:
    if keep_order:
        rows.sort(key=lambda r: -r.sections["overall"].accuracy)
    else:
        rows.sort(key=lambda r: (-r.sections["overall"].accuracy, -r.created_at.timestamp()))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while building many acyclic objects.

    A 1,000-run board allocates some 50,000 rows, cells and dicts; the collections their
    allocation triggers cost about a third of the build. Nothing built here forms cycles,
    so reference counting frees it all the same.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_runs(
    session: Session,
    run_ids: Iterable[uuid.UUID] | Select[tuple[uuid.UUID]],
    *,
    with_latency: bool = False,
) -> list[RunRow]:
    """Runs with their category and section scores (and latency), in the order of ``run_ids``.

    ``run_ids`` may also be a query selecting run ids; the runs are then read with it as a
    subquery (no list of ids travels to the database) in no particular order.
    """
    with paused_gc():
        return _load_runs(session, run_ids, with_latency)


def _load_runs(
    session: Session,
    run_ids: Iterable[uuid.UUID] | Select[tuple[uuid.UUID]],
    with_latency: bool,
) -> list[RunRow]:
    ids: list[uuid.UUID] | None = None
    wanted: Any  # what the run ids are IN: the query itself, or the list
    if isinstance(run_ids, Select):
        wanted = select(run_ids.subquery().c[0])
    else:
        ids = wanted = list(dict.fromkeys(run_ids))
        if not ids:
            return []
    conn = session.connection()
    columns: list[Any] = [
        cast(Run.id, String),  # run ids as text key the scores: cheaper than 25,000 UUIDs
        Run.id,
        Run.model_key,
        Model.display_name,
        Model.spec,
        Suite.name,
        Suite.version,
        Run.mode,
        Run.status,
        Run.label,
        Run.created_at,
        Run.options["selection"],  # NULL for most runs: nothing to decode
        Run.options["repeat"],
    ]
    query = (
        select(*columns)
        .join(Suite, Suite.id == Run.suite_id)
        .join(Model, Model.key == Run.model_key)
        .where(Run.id.in_(wanted))
    )
    if with_latency:
        query = query.add_columns(RunStats.run_id, *STATS_COLUMNS).outerjoin(
            RunStats, RunStats.run_id == Run.id
        )
    by_id: dict[uuid.UUID, RunRow] = {}
    by_text: dict[str, RunRow] = {}
    specs: dict[uuid.UUID, dict[str, object]] = {}
    summaries: dict[uuid.UUID, Sequence[Any]] = {}
    for record in conn.execute(query):
        tid, rid, key, display, spec, sname, sver, mode, status, label, created, *rest = record
        chosen, repeat, *stats = rest
        spec = specs[rid] = dict(spec or {})
        case_key, selection = case_set({"selection": chosen}) if chosen else (CATEGORY_RUNS, None)
        tag = repeat_tag({"repeat": repeat}) if repeat else None
        by_id[rid] = by_text[tid] = RunRow(
            run_id=rid,
            model_key=key,
            display_name=marked_name(display, status),
            suite_name=sname,
            suite_version=sver,
            mode=mode,
            status=status,
            label=label,
            created_at=created,
            model_info={k: str(spec[k]) for k in ("url", "org", "license") if spec.get(k)},
            selection=selection,
            case_key=case_key,
            repeat_group=tag.group if tag is not None else None,
            repeat_index=tag.index if tag is not None else 0,
        )
        if stats and stats[0] is not None:
            summaries[rid] = stats[1:]
    cells: dict[str, dict[str, Score]] = defaultdict(dict)
    stored: dict[str, dict[str, tuple[float, bool]]] = defaultdict(dict)
    scores = select(
        cast(RunScore.run_id, String),
        RunScore.kind,
        RunScore.category,
        RunScore.n,
        RunScore.correct,
        RunScore.errors,
        RunScore.accuracy,
        RunScore.ran,
    ).where(RunScore.run_id.in_(wanted))
    result = conn.execute(scores)
    try:  # plain text, number and boolean columns need no conversion: read the DBAPI rows,
        rows = result.cursor.fetchall()  # as SQLAlchemy Rows they cost as much as the query
    finally:
        result.close()
    configs: dict[str, dict[str, Score]] = defaultdict(dict)
    stat_values: dict[str, dict[str, float]] = defaultdict(dict)
    for rid, kind, category, n, correct, errors, accuracy, ran in rows:
        if kind == "category":
            cells[rid][category] = category_cell(n, correct, errors, bool(ran))
        elif kind == "section":
            stored[rid][category] = (accuracy, bool(ran))
        elif kind == CONFIG_KIND:
            configs[rid][category] = category_cell(n, correct, errors, bool(ran))
        elif kind == STAT_KIND:
            stat_values[rid][category] = accuracy
    names = sorted({c for run_cells in cells.values() for c in run_cells}, key=category_order)
    for text_id, row in by_text.items():
        run_cells = cells.get(text_id, {})
        row.categories = {c: run_cells[c] for c in names if c in run_cells}
        row.sections = section_cells(row.categories, stored.get(text_id))
        if text_id in stat_values:
            row.format_sensitivity = FormatSensitivity(
                configs=configs.get(text_id, {}), stats=stat_values[text_id]
            )
    if with_latency:
        missing = [rid for rid in by_id if rid not in summaries]
        if missing:  # scored before run_stats existed (SQLite) or by hand
            tune_for_reports(session)
            summaries.update(summarize_results(session, missing))
        web = web_totals(session, list(by_id))
        for rid, row in by_id.items():
            row.latency = latency_cell(summaries.get(rid, EMPTY), specs[rid])
            row.web = web.get(rid)
    if ids is None:
        return list(by_id.values())
    return [by_id[i] for i in ids if i in by_id]


def category_order(category: str) -> tuple[int, str]:
    """Sort key: BFCL's category order, unknown categories last by name."""
    index = _category_index()
    return (index.get(category, len(index)), category)


def natural_key(case_id: str) -> list[int | str]:
    """Sort key that puts ``simple_2`` before ``simple_10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", case_id)]


def metric_kind(name: str, rows: Sequence[RunRow]) -> str:
    """``category`` or ``section`` for a history metric; a leaf category wins a tie.

    Raises:
        ConfigError: ``name`` is neither a section nor a category of the runs.
    """
    sections = {s for bench in benchmarks() for s in bench.section_names}
    if name in _category_index() or any(name in r.categories for r in rows):
        return "category"
    if name in sections:
        return "section"
    choices = sorted({*sections, *_category_index(), *(c for r in rows for c in r.categories)})
    raise ConfigError(f"unknown category {name!r}; valid: {', '.join(choices)}")


def as_score(row: RunRow, name: str, kind: str) -> Score:
    """The score named ``name`` of the given kind, N/A if the run lacks it."""
    cells = row.categories if kind == "category" else row.sections
    return cells.get(name) or Score(accuracy=0.0, ran=False)
