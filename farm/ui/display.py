"""Turning stored values (model output above all) into safe, bounded text for the pages.

Model output is hostile input: it is never marked safe. Jinja escapes everything the
templates print; these helpers only make text printable (lone surrogates and NUL bytes
become visible escapes) and bounded (a 5 MB string shows its first
:data:`DISPLAY_LIMIT` characters with a note of its full size).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Characters of one value shown on a page; the rest is cut with a note.
DISPLAY_LIMIT = 20_000

_UNPRINTABLE = re.compile(r"[\ud800-\udfff\x00]")


@dataclass(frozen=True)
class Shown:
    """A value as page text: ``text`` (cut to the limit) and the full length if cut."""

    text: str
    full_length: int | None = None

    @property
    def cut(self) -> bool:
        """Whether the text was cut."""
        return self.full_length is not None


def printable(text: str) -> str:
    """``text`` with lone surrogates and NUL bytes written as backslash-u escapes."""
    if _UNPRINTABLE.search(text) is None:
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def as_text(value: Any) -> str:
    """A stored value as text: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def _clip(value: Any, limit: int, depth: int = 0) -> tuple[Any, int]:
    """``value`` with every string cut to ``limit`` characters, and how many were cut.

    Keeps the cost of showing a structured value bounded by what is shown: a list of
    multi-megabyte strings is not dumped whole to be cut afterwards.
    """
    if isinstance(value, str):
        return (value[:limit], len(value) - limit) if len(value) > limit else (value, 0)
    if depth > 100 or not isinstance(value, list | dict):
        return value, 0
    removed = 0
    if isinstance(value, list):
        items = []
        for item in value:
            kept, cut = _clip(item, limit, depth + 1)
            items.append(kept)
            removed += cut
        return items, removed
    mapping = {}
    for key, item in value.items():
        kept, cut = _clip(item, limit, depth + 1)
        mapping[key] = kept
        removed += cut
    return mapping, removed


def show(value: Any, limit: int = DISPLAY_LIMIT) -> Shown:
    """A value made printable and cut to ``limit`` characters.

    The full length given for a cut structured value counts the characters of the strings
    cut away (not their JSON escapes).
    """
    value, removed = _clip(value, limit)
    text = as_text(value)
    if len(text) > limit or removed:
        return Shown(printable(text[:limit]), len(text) + removed)
    return Shown(printable(text))


def short(value: Any, limit: int = 120) -> str:
    """One line of a value for tables, cut with an ellipsis."""
    text = " ".join(as_text(value).split())
    return printable(text if len(text) <= limit else text[: limit - 1] + "…")


def percent(value: float | None, digits: int = 2) -> str:
    """``61.25%`` or an em dash."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def seconds(value: float | None) -> str:
    """A duration: ``850 ms``, ``12.3 s``, ``4 min 05 s``, ``2 h 10 min`` (or a dash)."""
    if value is None:
        return "—"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    if value < 3600:
        return f"{int(value // 60)} min {int(value % 60):02d} s"
    return f"{int(value // 3600)} h {int(value % 3600 // 60):02d} min"


def when(value: datetime | None) -> str:
    """``2026-01-02 03:04:05`` (UTC) or a dash."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def count(value: int | None) -> str:
    """``1,234`` or a dash."""
    return "—" if value is None else f"{value:,}"


def turns_of(question: Any) -> list[list[dict[str, Any]]]:
    """The case's messages per turn, whatever shape the suite stored (BFCL: list of lists)."""
    if not isinstance(question, list):
        return []
    turns: list[list[dict[str, Any]]] = []
    for turn in question:
        messages = turn if isinstance(turn, list) else [turn]
        turns.append([m if isinstance(m, dict) else {"role": "?", "content": m} for m in messages])
    return turns


def steps_of(raw_output: Any, turn_count: int) -> list[list[Any]] | None:
    """A multi-turn output's steps per turn, or None for a single response."""
    if turn_count < 1 or not isinstance(raw_output, list):
        return None
    if not all(isinstance(t, list) for t in raw_output):
        return None
    return [list(t) for t in raw_output]


FILTERS = {
    "short": short,
    "percent": percent,
    "seconds": seconds,
    "when": when,
    "count": count,
    "printable": printable,
}
