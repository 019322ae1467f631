"""Renderers of the leaderboard: rich table, CSV, Markdown and JSON.

Each iterates the column registry (:func:`farm.report.columns.leaderboard_columns`): the
compact views show the columns with a compact header, the CSV every field of every column,
the JSON every column's entry. Display rules (N/A, never-N/A sections) live with the
columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from farm.report.columns import (
    RAN_OVERALL_HEADER,
    RAN_OVERALL_NOTE,
    cell_text,
    compact,
    cost_text,
    coverage,
    footnote,
    latency_text,
    leaderboard_columns,
    num,
    pct,
    repeats_text,
    score_json,
    shown,
)
from farm.report.rows import RunRow

__all__ = [
    "RAN_OVERALL_HEADER",
    "RAN_OVERALL_NOTE",
    "cell_text",
    "repeats_text",
    "cost_text",
    "coverage",
    "latency_text",
    "num",
    "pct",
    "render_csv",
    "render_json",
    "render_markdown",
    "rich_table",
    "row_json",
    "score_json",
    "shown",
]


def rich_table(rows: Sequence[RunRow], title: str = "Leaderboard") -> Table:
    """The terminal leaderboard, with 95% intervals in parentheses."""
    columns = compact(leaderboard_columns(rows), rows)
    table = Table(title=title, title_justify="left", caption=footnote(rows))
    table.caption_justify = "left"
    for column in columns:
        assert column.header is not None
        table.add_column(column.header, no_wrap=column.key in ("rank", "run"))
    for row in rows:  # names and selections are text, never rich markup
        table.add_row(*(escape(column.text(row)) for column in columns))
    return table


def render_csv(rows: Sequence[RunRow]) -> str:
    """Every metric, its 95% interval (in percent), latency, cost, coverage and errors."""
    fields = [f for column in leaderboard_columns(rows) for f in column.fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([title for title, _ in fields])
    for row in rows:
        writer.writerow([value(row) for _, value in fields])
    return buffer.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(rows: Sequence[RunRow]) -> str:
    """A GitHub-flavoured Markdown table of the compact view."""
    columns = compact(leaderboard_columns(rows), rows)
    headers = [c.header or "" for c in columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [f"`{c.text(row)}`" if c.code else _md_escape(c.text(row)) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Scores in %, 95% confidence interval in parentheses. " + footnote(rows))
    return "\n".join(lines) + "\n"


def row_json(row: RunRow) -> dict[str, Any]:
    """A leaderboard row as a JSON object."""
    return {c.json[0]: c.json[1](row) for c in leaderboard_columns() if c.json is not None}


def render_json(rows: Sequence[RunRow]) -> str:
    """The leaderboard as one JSON document."""
    entries = [(c.json[0], c.json[1]) for c in leaderboard_columns(rows) if c.json is not None]
    board = [{key: value(r) for key, value in entries} for r in rows]
    return json.dumps({"leaderboard": board}, indent=2, sort_keys=True)
