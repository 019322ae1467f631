"""A self-contained HTML leaderboard: the table plus inline SVG charts, no network needed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape

from farm.report.columns import Column, cell_text, compact, footnote, leaderboard_columns
from farm.report.rows import HistoryPoint, RunRow, Score

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
)
#: Runs drawn in the per-category chart (the top of the board).
MAX_BAR_RUNS = 8

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;
background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#f3f5f8}td.l,th.l{text-align:left}
tr:nth-child(even) td{background:#fafbfc}
.na{color:#999}.ci{color:#777;font-size:11px}
svg text{font-family:inherit}
"""


def _score_td(score: Score | None) -> str:
    if score is None:
        return '<td class="na">N/A</td>'
    text = cell_text(score, ci=False)
    ci = ""
    if score.n:
        ci = f'<br><span class="ci">{score.ci_low * 100:.1f}&ndash;{score.ci_high * 100:.1f}</span>'
    return f"<td>{escape(text)}{ci}</td>"


def _td(column: Column, row: RunRow) -> str:
    if column.metric is not None:
        return _score_td(column.score(row))
    text = escape(column.text(row))
    if column.code:
        text = f"<code>{text}</code>"
    return f'<td class="l">{text}</td>' if column.left else f"<td>{text}</td>"


#: Compact headers set on two lines in the HTML table.
_HEADERS = {"Latency s (mean/std/p95)": "Latency s<br>mean / std / p95"}


def table_html(rows: Sequence[RunRow]) -> str:
    """The leaderboard table: the compact columns of the registry."""
    columns = compact(leaderboard_columns(rows), rows)
    head = "".join(
        ('<th class="l">' if c.left else "<th>")
        + (_HEADERS.get(c.header or "") or escape(c.header or ""))
        + "</th>"
        for c in columns
    )
    body = ["<tr>" + "".join(_td(c, row) for c in columns) + "</tr>" for row in rows]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _legend(labels: Sequence[str], x: int, y: int) -> str:
    parts = []
    for i, label in enumerate(labels):
        color = PALETTE[i % len(PALETTE)]
        yy = y + i * 18
        parts.append(
            f'<rect x="{x}" y="{yy}" width="12" height="12" fill="{color}"/>'
            f'<text x="{x + 18}" y="{yy + 11}" font-size="12">{escape(label)}</text>'
        )
    return "".join(parts)


def category_bars_svg(rows: Sequence[RunRow]) -> str:
    """Grouped horizontal bars: accuracy per category (that ran) for the top runs."""
    runs = list(rows[:MAX_BAR_RUNS])
    names = list(dict.fromkeys(c for r in runs for c in r.categories_ran))
    if not runs or not names:
        return '<p class="meta">No category scores to chart.</p>'
    bar_h, gap, left, width = 9, 10, 190, 420
    group_h = bar_h * len(runs) + gap
    height = group_h * len(names) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 260}" '
        f'height="{height}" role="img" aria-label="Per-category accuracy">'
    ]
    for pct in (0, 25, 50, 75, 100):
        x = left + width * pct / 100
        parts.append(
            f'<line x1="{x}" y1="10" x2="{x}" y2="{height - 25}" stroke="#e5e5e5"/>'
            f'<text x="{x}" y="{height - 10}" font-size="11" text-anchor="middle">{pct}%</text>'
        )
    for gi, name in enumerate(names):
        y0 = 10 + gi * group_h
        parts.append(
            f'<text x="{left - 8}" y="{y0 + group_h / 2}" font-size="12" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for ri, run in enumerate(runs):
            score = run.categories.get(name)
            if score is None or not score.ran:
                continue
            w = width * score.accuracy
            parts.append(
                f'<rect x="{left}" y="{y0 + ri * bar_h}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{PALETTE[ri % len(PALETTE)]}"><title>{escape(run.display_name)} '
                f"{escape(name)}: {score.accuracy * 100:.2f}%</title></rect>"
            )
    labels = [f"{r.display_name} ({r.short_id})" for r in runs]
    parts.append(_legend(labels, left + width + 20, 14))
    parts.append("</svg>")
    return "".join(parts)


def history_svg(series: Mapping[str, Sequence[HistoryPoint]]) -> str:
    """One line per model: Overall accuracy by run date."""
    points = [p for ps in series.values() for p in ps]
    if not points:
        return '<p class="meta">No history to chart.</p>'
    left, top, width, height = 50, 10, 560, 240
    t0 = min(p.created_at.timestamp() for p in points)
    t1 = max(p.created_at.timestamp() for p in points)
    span = (t1 - t0) or 1.0

    def xy(p: HistoryPoint) -> tuple[float, float]:
        x = left + width * ((p.created_at.timestamp() - t0) / span if t1 > t0 else 0.5)
        return x, top + height * (1 - p.score.accuracy)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 280}" '
        f'height="{top + height + 40}" role="img" aria-label="Score history">'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + height * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y + 4}" font-size="11" text-anchor="end">{pct}%</text>'
        )
    first = datetime.fromtimestamp(t0, UTC).strftime("%Y-%m-%d %H:%M")
    last = datetime.fromtimestamp(t1, UTC).strftime("%Y-%m-%d %H:%M")
    parts.append(
        f'<text x="{left}" y="{top + height + 22}" font-size="11">{first}</text>'
        f'<text x="{left + width}" y="{top + height + 22}" font-size="11" '
        f'text-anchor="end">{last}</text>'
    )
    for i, (model, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        coords = [xy(p) for p in pts]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for p, (x, y) in zip(pts, coords, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"><title>'
                f"{escape(model)} {p.run_id.hex[:8]}: {p.score.accuracy * 100:.2f}%"
                "</title></circle>"
            )
    parts.append(_legend(list(series), left + width + 20, top + 4))
    parts.append("</svg>")
    return "".join(parts)


def render_html(
    rows: Sequence[RunRow],
    history: Mapping[str, Sequence[HistoryPoint]],
    *,
    title: str = "farm leaderboard",
) -> str:
    """The whole page: one file, inline CSS and SVG, no scripts, no external resources."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    suites = ", ".join(sorted({r.suite for r in rows})) or "no runs"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">Suite: {escape(suites)} &middot; {len(rows)} runs &middot; '
        f"generated {generated}. Scores in %, 95% confidence interval below each score; "
        "N/A where a category was not run (BFCL counts it as 0 in Overall). "
        f"{escape(footnote(rows))}</p>"
        f"{table_html(rows)}"
        "<h2>Accuracy per category</h2>"
        f"{category_bars_svg(rows)}"
        "<h2>Overall accuracy over time</h2>"
        f"{history_svg(history)}"
        "</body></html>\n"
    )
