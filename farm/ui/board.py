"""Leaderboard and compare pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request, url_for
from markupsafe import Markup

from farm.benchmarks.registry import benchmark_of
from farm.errors import FarmError
from farm.report.cases import case_detail
from farm.report.columns import (
    Column,
    all_metrics,
    board_metrics,
    compact,
    leaderboard_columns,
)
from farm.report.compare import compare as compare_runs
from farm.report.compare import histories
from farm.report.html import MAX_BAR_RUNS, category_bars_svg, history_svg
from farm.report.queries import leaderboard as leaderboard_rows
from farm.report.queries import paused_gc
from farm.report.ranking import board_page
from farm.report.rows import ComparedScore, Comparison, FlippedCase, HistoryPoint, RunRow
from farm.report.scores import weights_of
from farm.ui.web import page, session

#: Flipped cases listed per direction on the compare page.
MAX_FLIPS = 500
#: Leaderboard rows per page.
ROWS_PER_PAGE = 100


def register(app: Flask) -> None:
    """Add the pages to ``app``."""
    app.add_url_rule("/leaderboard", "leaderboard", leaderboard)
    app.add_url_rule("/compare", "compare", compare)
    app.add_url_rule("/compare/case", "compare_case", compare_case)


def row_links(columns: Sequence[Column], row: RunRow) -> list[str | None]:
    """Where each cell of a leaderboard row leads: the cases behind it, or the run."""
    run = str(row.run_id)
    cases = url_for("cases", ref=run)
    run_page = url_for("run", ref=run)
    weights = weights_of(row.categories)
    links: list[str | None] = []
    for column in columns:
        link: str | None = run_page
        if column.metric is not None:
            name = column.metric.name
            if name in row.sections:
                cats = [c for c, _ in weights.get(name, ())]
            else:
                cats = [name] if name in row.categories else []
            link = f"{cases}?{urlencode([('category', c) for c in cats])}" if cats else None
        elif column.key == "errors":
            link = f"{cases}?verdict=error"
        elif column.key == "coverage":
            link = cases
        elif column.key == "model":
            link = url_for("runs", model=row.model_key)
        links.append(link)
    return links


def leaderboard() -> Response:
    """The leaderboard: same columns, intervals and N/A rules as ``farm leaderboard``.

    Built and rendered with the cyclic garbage collector paused (see
    :func:`farm.report.queries.paused_gc`): a full collection over a thousand fresh rows,
    triggered by whatever allocates next, would otherwise cost a quarter of the page.
    """
    with paused_gc():
        return _leaderboard()


def _board(
    suite: str | None, latest: bool, key: str, ascending: bool, start: int
) -> tuple[list[RunRow], int, list[RunRow]]:
    """The page's rows, the number of runs on the board, and its top rows (for charts)."""
    s = session()
    metric = all_metrics().get(key)
    if key == "rank" or metric is not None:
        found = board_page(
            s,
            suite=suite,
            latest_per_model=latest,
            sort=key,
            never_na=metric is not None and metric.never_na,
            ascending=ascending,
            offset=start,
            limit=ROWS_PER_PAGE,
            top=MAX_BAR_RUNS,
        )
        if found is not None:
            return found.rows, found.total, found.top
    rows = leaderboard_rows(s, suite=suite, latest_per_model=latest)
    by = next((c for c in leaderboard_columns(rows) if c.key == key and c.sort), None)
    if by is not None and by.sort is not None:
        rows = sorted(rows, key=by.sort, reverse=not ascending)
    return rows[start : start + ROWS_PER_PAGE], len(rows), rows[:MAX_BAR_RUNS]


def series_in_row_order(
    top: Sequence[RunRow], found: Mapping[str, Sequence[HistoryPoint]]
) -> dict[str, Sequence[HistoryPoint]]:
    """History lines by display name, in the order of the top rows (as the bars are).

    The charts' colours go by position, so the same order gives a model the same colour
    in the bars and in the history (the query returns its models in its own order).
    """
    names = {r.model_key: r.display_name for r in reversed(top)}  # the top row's name wins
    order = dict.fromkeys(r.model_key for r in top)
    return {names[model]: found[model] for model in order if model in found}


def _leaderboard() -> Response:
    suite = (request.args.get("suite") or "").strip() or None
    latest = request.args.get("latest", "1") != "0"
    key = request.args.get("sort") or "rank"
    ascending = request.args.get("dir", "asc" if key == "rank" else "desc") == "asc"
    try:
        start = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        start = 0
    rows, total, top = _board(suite, latest, key, ascending, start)
    columns = compact(leaderboard_columns(rows), rows)
    suites = {r.suite for r in top}
    found = histories(
        session(),
        models=list(dict.fromkeys(r.model_key for r in top)),
        suite=suites.pop() if len(suites) == 1 else None,
    )
    series = series_in_row_order(top, found)
    table = [
        list(zip(columns, [c.text(row) for c in columns], row_links(columns, row), strict=True))
        for row in rows
    ]
    return page(
        "leaderboard.html",
        title="Leaderboard",
        columns=columns,
        table=table,
        total=total,
        offset=start,
        per_page=ROWS_PER_PAGE,
        latest=latest,
        suite=suite or "",
        sort=key,
        ascending=ascending,
        bars=Markup(category_bars_svg(top)),  # noqa: S704 - built with html.escape
        chart=Markup(history_svg(series)),  # noqa: S704 - built with html.escape
    )


def compared_rows(
    entries: Sequence[ComparedScore],
    titles: dict[str, str],
    *,
    sections: bool,
    never_na: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """Display rows of a comparison, with the leaderboard's N/A rule; empty ones left out."""
    out = []
    for e in entries:
        always = sections and e.name in never_na
        a = e.a if e.a is not None and (e.a.ran or always) else None
        b = e.b if e.b is not None and (e.b.ran or always) else None
        if a is None and b is None and not e.shared:
            continue
        delta = None if a is None or b is None else b.accuracy - a.accuracy
        title = titles.get(e.name, e.name) if sections else e.name
        out.append({"title": title, "a": a, "b": b, "delta": delta, "entry": e})
    return out


def compare() -> Response | tuple[Response, int]:
    """Two runs per section and category with McNemar's test, and the flipped cases."""
    a = (request.args.get("a") or "").strip()
    b = (request.args.get("b") or "").strip()
    context: dict[str, Any] = {"a": a, "b": b, "result": None, "error": None}
    if a and b:
        try:
            result = compare_runs(
                session(), a, b, allow_different_suites=request.args.get("any_suite") == "1"
            )
        except FarmError as exc:  # shown above the form, which keeps what was typed
            return page(
                "compare.html", title="Compare runs", **{**context, "error": exc.message}
            ), 400
        titles = {m.name: m.title for m in board_metrics([result.a, result.b])}
        context.update(
            result=result,
            sections=compared_rows(
                result.sections,
                titles,
                sections=True,
                never_na=benchmark_of(result.a.categories).never_na(),
            ),
            categories=compared_rows(result.categories, titles, sections=False),
            regressions=_flip_links(result.regressions[:MAX_FLIPS], result),
            improvements=_flip_links(result.improvements[:MAX_FLIPS], result),
            max_flips=MAX_FLIPS,
        )
    return page("compare.html", title="Compare runs", **context)


def _flip_links(flips: Sequence[FlippedCase], result: Comparison) -> list[dict[str, Any]]:
    base = url_for("compare_case", a=str(result.a.run_id), b=str(result.b.run_id))
    return [{"flip": f, "link": f"{base}&{urlencode({'case': f.case_id})}"} for f in flips]


def compare_case() -> Response:
    """One case of two runs side by side."""
    from farm.report.explore import run_summary

    s = session()
    a = run_summary(s, request.args.get("a") or "")
    b = run_summary(s, request.args.get("b") or "")
    case_id = request.args.get("case") or ""
    return page(
        "compare_case.html",
        title=f"{case_id}: {a.short_id} vs {b.short_id}",
        run_a=a,
        run_b=b,
        case_a=case_detail(s, a.run_id, case_id),
        case_b=case_detail(s, b.run_id, case_id),
    )
