"""``farm history``: a model's scores over time, with a small terminal chart."""

from __future__ import annotations

import click
from rich.table import Table

from farm.cli.context import cli_settings, console, emit_json
from farm.report.render import pct, score_json
from farm.report.rows import HistoryPoint

SPARK = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 30


def sparkline(values: list[float]) -> str:
    """One block character per value, scaled between the minimum and the maximum."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    return "".join(
        SPARK[int((v - lo) / span * (len(SPARK) - 1)) if span else len(SPARK) // 2] for v in values
    )


def bar(value: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` (0..1) in eighth-blocks."""
    eighths = round(max(0.0, min(1.0, value)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def _delta(points: list[HistoryPoint], i: int) -> str:
    """The change against the previous point; blank across suite versions or case sets."""
    if i == 0:
        return ""
    before, now = points[i - 1], points[i]
    if (before.suite, before.case_set) != (now.suite, now.case_set):
        return ""
    d = points[i].score.accuracy - points[i - 1].score.accuracy
    return f"{d * 100:+.2f}"


@click.command()
@click.option("--model", required=True, help="Model key or display name.")
@click.option("--category", help="Section (default overall) or category, e.g. live_simple.")
@click.option("--suite", help="Only runs on this suite (name or name@version).")
@click.option("--limit", type=int, help="Only the newest N runs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--subset", help="Score every run on this named subset's cases only (of --suite).")
def history(
    model: str,
    category: str | None,
    suite: str | None,
    limit: int | None,
    as_json: bool,
    subset: str | None,
) -> None:
    """Scores of MODEL over time: one row per scored run (or repeat group), oldest first."""
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.report.compare import history as history_points
    from farm.report.coverage import resolve_subset

    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        chosen = resolve_subset(session, subset, suite) if subset else None
        points = history_points(
            session, model=model, category=category, suite=suite, limit=limit, subset=chosen
        )
    metric = category or "overall"
    if as_json:
        emit_json(
            {
                "model": model,
                "metric": metric,
                "points": [
                    {
                        "run_id": str(p.run_id),
                        "created_at": p.created_at.isoformat(),
                        "suite": p.suite,
                        "label": p.label,
                        "case_selection": p.case_set,
                        **score_json(p.score),
                    }
                    for p in points
                ],
            }
        )
        return
    con = console()
    if not points:
        con.print(f"no scored runs of {model}")
        return
    con.print(
        f"{model} · {metric} · {len(points)} runs  {sparkline([p.score.accuracy for p in points])}"
    )
    from farm.benchmarks.registry import benchmarks

    never_na = {name for bench in benchmarks() for name in bench.never_na()}
    table = Table(title_justify="left")
    for header in ("Date (UTC)", "Run", "Suite", "Label", metric, "95% CI", "Δ", "n", ""):
        table.add_column(header, no_wrap=True)
    for i, p in enumerate(points):
        s = p.score
        na = not s.ran and metric not in never_na
        table.add_row(
            f"{p.created_at:%Y-%m-%d %H:%M}",
            p.run_id.hex[:8],
            p.suite,
            (p.label or "") if p.case_set is None else f"{p.label or ''} [{p.case_set}]".strip(),
            "N/A" if na else pct(s.accuracy),
            "" if na or not s.n else f"{s.ci_low * 100:.1f}–{s.ci_high * 100:.1f}",
            _delta(points, i),
            str(s.n),
            "" if na else bar(s.accuracy),
        )
    con.print(table)
