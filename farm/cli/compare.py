"""``farm compare``: two runs side by side, with McNemar tests and the flipped cases."""

from __future__ import annotations

import math
from typing import Any

import click
from rich.table import Table

from farm.cli.context import cli_settings, console, emit_json
from farm.report.render import pct, score_json
from farm.report.rows import ComparedScore, Comparison, FlippedCase


def _score(s: ComparedScore, side: str, never_na: frozenset[str]) -> str:
    """A side's accuracy; N/A where it did not run, unless the benchmark always shows it."""
    score = s.a if side == "a" else s.b
    if score is None:
        return "-"
    if not score.ran and s.name not in never_na:
        return "N/A"
    return pct(score.accuracy)


def _delta(s: ComparedScore) -> str:
    d = s.delta
    return "-" if d is None else f"{d * 100:+.2f}"


def _p(s: ComparedScore) -> str:
    return "-" if s.p_value is None else f"{s.p_value:.3g}"


def _table(title: str, scores: list[ComparedScore], cmp: Comparison) -> Table:
    from farm.benchmarks.registry import benchmark_of

    never_na = benchmark_of(cmp.a.categories).never_na()
    table = Table(title=title, title_justify="left")
    for header in (
        "",
        f"A {cmp.a.short_id}",
        f"B {cmp.b.short_id}",
        "Δ (pts)",
        "shared",
        "A only ✓",
        "B only ✓",
        "McNemar p",
    ):
        table.add_column(header, justify="left" if not header else "right")
    for s in scores:
        table.add_row(
            s.name,
            _score(s, "a", never_na),
            _score(s, "b", never_na),
            _delta(s),
            str(s.shared),
            str(s.only_a),
            str(s.only_b),
            _p(s),
        )
    return table


def _compared_json(s: ComparedScore) -> dict[str, Any]:
    return {
        "name": s.name,
        "a": None if s.a is None else score_json(s.a),
        "b": None if s.b is None else score_json(s.b),
        "delta": s.delta,
        "shared": s.shared,
        "only_a_correct": s.only_a,
        "only_b_correct": s.only_b,
        "mcnemar_p": s.p_value,
    }


def _flip_json(c: FlippedCase) -> dict[str, Any]:
    return {
        "case_id": c.case_id,
        "category": c.category,
        "error_type_a": c.error_type_a,
        "error_type_b": c.error_type_b,
    }


def comparison_json(cmp: Comparison) -> dict[str, Any]:
    """The whole comparison as a JSON object."""

    def run(r: Any) -> dict[str, Any]:
        return {
            "run_id": str(r.run_id),
            "model": r.model_key,
            "display_name": r.display_name,
            "suite": r.suite,
            "created_at": r.created_at.isoformat(),
            "label": r.label,
        }

    return {
        "a": run(cmp.a),
        "b": run(cmp.b),
        "same_suite": cmp.same_suite,
        "sections": [_compared_json(s) for s in cmp.sections],
        "categories": [_compared_json(s) for s in cmp.categories],
        "regressions": [_flip_json(c) for c in cmp.regressions],
        "improvements": [_flip_json(c) for c in cmp.improvements],
    }


def _finite(param: click.Parameter, value: float) -> float:
    """``value`` unless it is NaN (FloatRange lets NaN through every bound)."""
    if math.isnan(value):
        raise click.BadParameter("not a number", param=param)
    return value


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--allow-different-suites",
    is_flag=True,
    help="Compare runs on different suite versions or case sets (shared case ids only).",
)
@click.option(
    "--limit", default=20, show_default=True, help="Flipped cases listed per direction (0: all)."
)
@click.option(
    "--fail-on-regression",
    is_flag=True,
    help="Exit 3 when B is significantly worse than A overall or in any section.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of --fail-on-regression (exact McNemar test).",
    callback=lambda ctx, param, value: _finite(param, value),
)
@click.option(
    "--min-delta",
    type=click.FloatRange(0, 100),
    default=0.0,
    show_default=True,
    help="Smallest drop in percentage points that --fail-on-regression counts.",
    callback=lambda ctx, param, value: _finite(param, value),
)
@click.option("--subset", help="Score and pair both runs on this named subset's cases only.")
def compare(
    run_a: str,
    run_b: str,
    as_json: bool,
    allow_different_suites: bool,
    limit: int,
    fail_on_regression: bool,
    alpha: float,
    min_delta: float,
    subset: str | None,
) -> None:
    """Compare RUN_B against RUN_A (the baseline), per category and section.

    Shows both scores, the delta, the exact McNemar p-value on the cases both runs share,
    and the cases that flipped, regressions first. Runs are named by id, unique id prefix
    or label. With --fail-on-regression it ends with one line saying where B is
    significantly worse, and exits 3 if it is anywhere.
    """
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.report.compare import compare as compare_runs
    from farm.report.coverage import subset_of_run
    from farm.report.gate import find_regressions, verdict_line

    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        chosen = subset_of_run(session, subset, run_a) if subset else None
        cmp = compare_runs(
            session, run_a, run_b, allow_different_suites=allow_different_suites, subset=chosen
        )
    found = find_regressions(cmp, alpha=alpha, min_delta=min_delta)
    if as_json:
        data = comparison_json(cmp)
        if fail_on_regression:
            data["regressed_sections"] = [r.name for r in found]
        emit_json(data)
    else:
        _print(cmp, limit)
    if fail_on_regression:
        line = verdict_line(cmp, found, alpha=alpha, min_delta=min_delta)
        click.echo(line, err=bool(found))
        if found:
            click.get_current_context().exit(REGRESSION_EXIT)


#: Exit status of ``farm compare --fail-on-regression`` when B regressed (errors exit 1-2).
REGRESSION_EXIT = 3


def _print(cmp: Comparison, limit: int) -> None:
    con = console()
    for tag, r in (("A", cmp.a), ("B", cmp.b)):
        con.print(
            f"{tag}: {r.run_id}  {r.display_name}  {r.suite}  "
            f"{r.created_at:%Y-%m-%d %H:%M}" + (f"  [{r.label}]" if r.label else "")
        )
    if not cmp.same_suite:
        con.print("warning: the runs are on different suite versions", style="yellow")
    con.print(_table("Sections", cmp.sections, cmp))
    con.print(_table("Categories", cmp.categories, cmp))
    for title, cases in (
        ("Regressions (A ✓, B ✗)", cmp.regressions),
        ("Improvements (A ✗, B ✓)", cmp.improvements),
    ):
        con.print(f"{title}: {len(cases)}")
        shown = cases if limit <= 0 else cases[:limit]
        for c in shown:
            err = c.error_type_b if c.error_type_b else c.error_type_a
            con.print(f"  {c.case_id}  ({c.category})" + (f"  {err}" if err else ""))
        if len(shown) < len(cases):
            con.print(f"  ... {len(cases) - len(shown)} more (--limit 0 lists all)")
