"""The verdict on one case, and the conversion of decoded values to JSON."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of scoring one case.

    Attributes:
        valid: whether the case counts as correct.
        error_type: BFCL's error-type string (e.g. ``value_error:string``), None when valid.
        detail: a JSON-serialisable explanation (BFCL's ``error`` list, sub-errors, ...).
        decoded: the decoded calls as JSON-serialisable data, or None if decoding failed.
    """

    valid: bool
    error_type: str | None = None
    detail: Any = None
    decoded: Any = None


def safe_text(text: str) -> str:
    """Text that any database accepts: NUL bytes and lone surrogates escaped (backslash-u)."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
    return text


def json_safe(value: Any, *, _depth: int = 0) -> Any:
    """Convert a decoded value into plain JSON data that PostgreSQL and SQLite can store.

    Tuples become lists, non-string keys become their ``repr``, values JSON cannot hold
    (complex, bytes, NaN, huge ints, ...) become their ``repr``, and strings are made storable
    with :func:`safe_text`. Nesting beyond 200 levels is cut off with a marker string.
    """
    if _depth > 200:
        return "<nested too deep>"
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, int):
        return value if value.bit_length() < 2000 else f"<int of {value.bit_length()} bits>"
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v, _depth=_depth + 1) for v in value]
    if isinstance(value, dict):
        return {
            (safe_text(k) if isinstance(k, str) else safe_text(repr(k))): json_safe(
                v, _depth=_depth + 1
            )
            for k, v in value.items()
        }
    return safe_text(repr(value))[:10_000]
