"""Runs, run, cases and case pages, and the live progress endpoint."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from farm.report.cases import VERDICTS, case_detail, error_kinds, list_cases
from farm.report.columns import board_metrics, shown
from farm.report.deviations import deviation_counts
from farm.report.explore import (
    endpoints_of,
    list_runs,
    model_spec,
    progress,
    run_summary,
    shards,
    workers,
)
from farm.report.queries import load_runs
from farm.report.scores import weights_of
from farm.ui.display import steps_of, turns_of
from farm.ui.web import page, session

STATUSES = ("pending", "running", "stalled", "done", "cancelled")
RUNS_PER_PAGE = 50
CASES_PER_PAGE = 100


def _int_arg(name: str, default: int = 0) -> int:
    try:
        return max(0, int(request.args.get(name, default)))
    except ValueError:
        return default


def _text_arg(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    return value[:200] or None


def register(app: Flask) -> None:
    """Add the pages to ``app``."""
    app.add_url_rule("/", "home", lambda: redirect(url_for("runs")))
    app.add_url_rule("/runs", "runs", runs)
    app.add_url_rule("/runs/<ref>", "run", run)
    app.add_url_rule("/runs/<ref>/cases", "cases", cases)
    app.add_url_rule("/runs/<ref>/cases/<path:case_id>", "case", case)
    app.add_url_rule("/api/runs/<ref>/progress", "progress", run_progress)


def runs() -> Response:
    """Runs newest first, with filters and live progress for the ones still going."""
    status = request.args.get("status") or None
    filters = {
        "model": _text_arg("model"),
        "status": status if status in STATUSES else None,
        "suite": _text_arg("suite"),
        "label": _text_arg("label"),
    }
    start = _int_arg("offset")
    found, total = list_runs(session(), **filters, limit=RUNS_PER_PAGE, offset=start)
    return page(
        "runs.html",
        title="Runs",
        runs=found,
        total=total,
        offset=start,
        per_page=RUNS_PER_PAGE,
        filters=filters,
        statuses=STATUSES,
    )


def run(ref: str) -> Response:
    """One run: progress, scores per section and category, errors, latency, serving."""
    s = session()
    summary = run_summary(s, ref)
    rows = load_runs(s, [summary.run_id], with_latency=True)
    row = rows[0] if rows else None
    sections: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    if row is not None and row.categories:
        members = weights_of(row.categories)
        metrics = board_metrics([row])
        titles = {m.name: m.title for m in metrics if m.name not in row.sections}
        named = {m.name for m in metrics}
        for metric in metrics:
            if metric.name in row.sections:
                cats = [c for c, _ in members.get(metric.name, ())]
                score = shown(row, metric.name, metric.never_na)
                sections.append({"title": metric.title, "score": score, "cats": cats})
        for name, cell in row.sections.items():  # sections no metric names (agentic, ...)
            cats = [c for c, _ in members.get(name, ())]
            if name not in named and cats:
                sections.append({"title": name, "score": cell, "cats": cats})
        for name, cell in row.categories.items():
            title = titles.get(name, name)
            categories.append({"title": title, "score": cell if cell.ran else None, "cats": [name]})
    return page(
        "run.html",
        title=f"Run {summary.short_id}",
        run=summary,
        row=row,
        sections=sections,
        categories=categories,
        progress=progress(s, summary.run_id),
        errors=error_kinds(s, summary.run_id),
        shards=shards(s, summary.run_id),
        workers=workers(s, summary.run_id),
        endpoints=endpoints_of(s, summary.run_id),
        deviations=deviation_counts(s, summary.run_id),
        spec=model_spec(s, summary.model_key),
    )


def cases(ref: str) -> Response:
    """A run's cases, filtered by category, verdict, error kind and text."""
    s = session()
    summary = run_summary(s, ref)
    chosen = [c for c in request.args.getlist("category") if c][:50]
    verdict = request.args.get("verdict") or None
    start = _int_arg("offset")
    found, total, per_category = list_cases(
        s,
        summary.run_id,
        categories=chosen,
        verdict=verdict if verdict in VERDICTS else None,
        error=_text_arg("error"),
        search=_text_arg("q"),
        limit=CASES_PER_PAGE,
        offset=start,
    )
    kinds = error_kinds(s, summary.run_id)
    return page(
        "cases.html",
        title=f"Cases of run {summary.short_id}",
        run=summary,
        cases=found,
        total=total,
        offset=start,
        per_page=CASES_PER_PAGE,
        per_category=per_category,
        chosen=chosen,
        verdict=verdict,
        verdicts=VERDICTS,
        error=_text_arg("error"),
        kinds=kinds,
        q=_text_arg("q") or "",
    )


def case(ref: str, case_id: str) -> Response:
    """One case: conversation, functions, expected vs decoded, raw output, verdict."""
    s = session()
    summary = run_summary(s, ref)
    detail = case_detail(s, summary.run_id, case_id)
    turns = turns_of(detail.question)
    return page(
        "case.html",
        title=f"{case_id} in run {summary.short_id}",
        run=summary,
        case=detail,
        turns=turns,
        steps=steps_of(detail.raw_output, len(turns)),
        executions=detail.execution_results,
    )


def run_progress(ref: str) -> BaseResponse:
    """``{"done", "n_cases", "errors", "rate", "eta_s", "status", "finished", ...}``."""
    response = jsonify(progress(session(), ref).as_json())
    return response
