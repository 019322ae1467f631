"""Renderers of the leaderboard: rich table, CSV, Markdown and JSON.

Display rules follow BFCL's ``data_overall.csv``: Overall, Live and Multi Turn are always
shown (a category that was not run counts as 0); every other cell shows N/A when the
category, or a member of the section, was not run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from farm.report.rows import RunRow, Score

#: Header of the farm's Overall over the categories that ran (BFCL's files never carry it).
RAN_OVERALL_HEADER = "Overall (ran only)"
#: What that column means, for footnotes.
RAN_OVERALL_NOTE = (
    "Overall (ran only): BFCL's Overall over the categories that ran; "
    "BFCL's Overall counts a category that was not run as 0."
)

#: (column header, section or category name), in BFCL's order, and the farm's
#: Overall over the categories that ran after BFCL's Overall.
METRICS: tuple[tuple[str, str], ...] = (
    ("Overall Acc", "overall"),
    ("Overall Acc (Categories Run Only)", "overall_ran"),
    ("Non-Live AST Acc", "non_live"),
    ("Non-Live Simple AST", "non_live_simple"),
    ("Python Simple AST", "simple_python"),
    ("Java Simple AST", "simple_java"),
    ("JavaScript Simple AST", "simple_javascript"),
    ("Non-Live Multiple AST", "multiple"),
    ("Non-Live Parallel AST", "parallel"),
    ("Non-Live Parallel Multiple AST", "parallel_multiple"),
    ("Live Acc", "live"),
    ("Live Simple AST", "live_simple"),
    ("Live Multiple AST", "live_multiple"),
    ("Live Parallel AST", "live_parallel"),
    ("Live Parallel Multiple AST", "live_parallel_multiple"),
    ("Multi Turn Acc", "multi_turn"),
    ("Multi Turn Base", "multi_turn_base"),
    ("Multi Turn Miss Func", "multi_turn_miss_func"),
    ("Multi Turn Miss Param", "multi_turn_miss_param"),
    ("Multi Turn Long Context", "multi_turn_long_context"),
    ("Relevance Detection", "relevance"),
    ("Irrelevance Detection", "irrelevance"),
)
#: The metrics of the compact views (terminal table, Markdown, HTML).
MAIN_METRICS: tuple[tuple[str, str], ...] = (
    ("Overall", "overall"),
    (RAN_OVERALL_HEADER, "overall_ran"),
    ("Non-Live AST", "non_live"),
    ("Live", "live"),
    ("Multi Turn", "multi_turn"),
    ("Relevance", "relevance"),
    ("Irrelevance", "irrelevance"),
)
#: Sections BFCL never shows as N/A.
NEVER_NA = frozenset({"overall", "live", "multi_turn", "agentic"})


def shown(row: RunRow, name: str) -> Score | None:
    """The score to display, or None for N/A."""
    score = row.score(name)
    if score is None:
        return None
    if not score.ran and name not in NEVER_NA:
        return None
    return score


def pct(value: float) -> str:
    """An accuracy as a percentage with two decimals, e.g. ``61.25%``."""
    return f"{value * 100:.2f}%"


def cell_text(score: Score | None, *, ci: bool = True) -> str:
    """``61.25% (58.10-64.30)`` or ``N/A``."""
    if score is None:
        return "N/A"
    if not ci or score.n == 0:
        return pct(score.accuracy)
    return f"{pct(score.accuracy)} ({score.ci_low * 100:.1f}-{score.ci_high * 100:.1f})"


def num(value: float | None) -> str:
    """A raw number as BFCL writes it, or N/A."""
    return "N/A" if value is None else str(value)


def coverage(row: RunRow) -> str:
    """``12 cats / 1,234 cases``, and the case selection when the run has one."""
    text = f"{len(row.categories_ran)} cats / {row.n_cases:,} cases"
    return f"{text} [{row.selection}]" if row.selection else text


def latency_text(row: RunRow) -> str:
    """``mean / std / p95`` in seconds."""
    lat = row.latency
    if lat is None or lat.mean is None:
        return "N/A"
    return f"{lat.mean} / {num(lat.std)} / {num(lat.p95)}"


def cost_text(row: RunRow) -> str:
    """Total cost in dollars, or N/A."""
    return "N/A" if row.latency is None or row.latency.cost is None else f"${row.latency.cost}"


def repeats_text(row: RunRow) -> str:
    """``3x pass@3 90.00% pass^3 70.00% 4 flaky`` for a repeat group, ``1x`` otherwise."""
    rep = row.repeats
    if rep is None:
        return "1x"
    k = rep.k
    return (
        f"{k}x pass@{k} {pct(rep.pass_at_k)} pass^{k} {pct(rep.pass_hat_k)} {len(rep.flaky)} flaky"
    )


def rich_table(rows: Sequence[RunRow], title: str = "Leaderboard") -> Table:
    """The terminal leaderboard, with 95% intervals in parentheses."""
    table = Table(title=title, title_justify="left", caption=RAN_OVERALL_NOTE)
    table.caption_justify = "left"
    for header in ("#", "Model", "Run", *(h for h, _ in MAIN_METRICS)):
        table.add_column(header, no_wrap=header in ("#", "Run"))
    repeated = any(row.repeats is not None for row in rows)
    for header in ("Latency s (mean/std/p95)", "Cost", "Coverage", "Errors"):
        table.add_column(header)
    if repeated:
        table.add_column("Repeats")
    for row in rows:
        table.add_row(
            str(row.rank),
            escape(row.display_name),  # names are text, never rich markup
            row.short_id,
            *(cell_text(shown(row, name)) for _, name in MAIN_METRICS),
            latency_text(row),
            cost_text(row),
            coverage(row),
            str(row.errors),
            *([repeats_text(row)] if repeated else []),
        )
    if repeated:
        table.caption = (
            f"{RAN_OVERALL_NOTE} Repeated runs: mean over the repeats, 95% t interval; "
            "pass@k: right in at least one repeat; pass^k: right in all."
        )
    return table


def _csv_number(value: float | None) -> str:
    return "N/A" if value is None else f"{value * 100:.2f}"


def render_csv(rows: Sequence[RunRow]) -> str:
    """Every metric, its 95% interval (in percent), latency, cost, coverage and errors."""
    header = ["Rank", "Model", "Model Key", "Run", "Suite", "Created", "Label", "Status"]
    for title, _ in METRICS:
        header += [title, f"{title} CI Low", f"{title} CI High"]
    header += [
        "Latency Mean (s)",
        "Latency Standard Deviation (s)",
        "Latency 95th Percentile (s)",
        "Total Cost ($)",
        "Categories Run",
        "Cases",
        "Inference Errors",
        "Repeats",
        "Pass@k",
        "Pass^k",
        "Flaky Cases",
        "Case Selection",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        line: list[str] = [
            str(row.rank),
            row.display_name,
            row.model_key,
            str(row.run_id),
            row.suite,
            row.created_at.isoformat(),
            row.label or "",
            row.status,
        ]
        for _, name in METRICS:
            score = shown(row, name)
            if score is None:
                line += ["N/A", "N/A", "N/A"]
            else:
                line += [
                    _csv_number(score.accuracy),
                    _csv_number(score.ci_low),
                    _csv_number(score.ci_high),
                ]
        lat = row.latency
        line += [
            num(lat.mean if lat else None),
            num(lat.std if lat else None),
            num(lat.p95 if lat else None),
            num(lat.cost if lat else None),
            " ".join(row.categories_ran),
            str(row.n_cases),
            str(row.errors),
        ]
        rep = row.repeats
        line += (
            ["1", "N/A", "N/A", "0"]
            if rep is None
            else [str(rep.k), _csv_number(rep.pass_at_k), _csv_number(rep.pass_hat_k)]
            + [str(len(rep.flaky))]
        )
        line.append(row.selection or "")
        writer.writerow(line)
    return buffer.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(rows: Sequence[RunRow]) -> str:
    """A GitHub-flavoured Markdown table of the compact view."""
    repeated = any(row.repeats is not None for row in rows)
    headers = [
        "#",
        "Model",
        "Run",
        *(h for h, _ in MAIN_METRICS),
        "Latency s (mean/std/p95)",
        "Cost",
        "Coverage",
        "Errors",
        *(["Repeats"] if repeated else []),
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [
            str(row.rank),
            _md_escape(row.display_name),
            f"`{row.short_id}`",
            *(cell_text(shown(row, name)) for _, name in MAIN_METRICS),
            latency_text(row),
            cost_text(row),
            coverage(row),
            str(row.errors),
            *([repeats_text(row)] if repeated else []),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Scores in %, 95% confidence interval in parentheses. " + RAN_OVERALL_NOTE)
    return "\n".join(lines) + "\n"


def score_json(score: Score) -> dict[str, Any]:
    """A score as a JSON object."""
    return {
        "accuracy": score.accuracy,
        "ran": score.ran,
        "n": score.n,
        "correct": score.correct,
        "errors": score.errors,
        "ci95": [score.ci_low, score.ci_high],
    }


def row_json(row: RunRow) -> dict[str, Any]:
    """A leaderboard row as a JSON object."""
    lat = row.latency
    return {
        "rank": row.rank,
        "run_id": str(row.run_id),
        "model": row.model_key,
        "display_name": row.display_name,
        "suite": row.suite,
        "mode": row.mode,
        "status": row.status,
        "label": row.label,
        "created_at": row.created_at.isoformat(),
        "coverage": {"categories": row.categories_ran, "cases": row.n_cases},
        "case_selection": row.selection,
        "inference_errors": row.errors,
        "repeats": None
        if row.repeats is None
        else {
            "group": str(row.repeats.group),
            "k": row.repeats.k,
            "planned": row.repeats.planned,
            "run_ids": [str(r) for r in row.repeats.run_ids],
            "seeds": list(row.repeats.seeds),
            "cases": row.repeats.cases,
            "pass_at_k": row.repeats.pass_at_k,
            "pass_hat_k": row.repeats.pass_hat_k,
            "flaky": list(row.repeats.flaky),
        },
        "sections": {k: score_json(v) for k, v in row.sections.items()},
        "categories": {k: score_json(v) for k, v in row.categories.items()},
        "latency": None
        if lat is None
        else {
            "count": lat.count,
            "mean_s": lat.mean,
            "std_s": lat.std,
            "p95_s": lat.p95,
            "input_tokens": lat.input_tokens,
            "output_tokens": lat.output_tokens,
            "cost_usd": lat.cost,
        },
    }


def render_json(rows: Sequence[RunRow]) -> str:
    """The leaderboard as one JSON document."""
    return json.dumps({"leaderboard": [row_json(r) for r in rows]}, indent=2, sort_keys=True)
