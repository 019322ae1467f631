"""Does a folder of stored outputs fit the call format chosen to decode it?

``farm evaluate`` scores BFCL result files with one call format. When many outputs do not
decode with it but do with another (raw ``<tool_call>`` text under ``--mode fc``, argument
objects where JSON strings were expected), :func:`fit_warning` says so in one line and names
the format that fits, instead of scoring silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from farm.formats.families import FAMILIES, decode_family, suggest
from farm.formats.fcdecode import decode_fc_calls
from farm.formats.pydecode import DecodeError, decode_python_calls

#: Share of outputs that must fit another format better before a warning (and at least one).
MISFIT_SHARE = 0.1

#: Formats that read the same outputs (Python call lists).
_SAME = {frozenset({"prompt", "pythonic"})}


def _calls(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, dict)
            and len(item) == 1
            and isinstance(next(iter(item.values())), dict)
            for item in value
        )
    )


def decodes(raw: Any, call_format: str) -> bool:
    """Whether ``call_format`` decodes ``raw`` into at least one well-formed call."""
    try:
        if call_format == "fc":
            return _calls(decode_fc_calls(raw))
        if call_format == "prompt":
            return isinstance(raw, str) and _calls(decode_python_calls(raw))
        return call_format in FAMILIES and _calls(decode_family(raw, call_format))
    except DecodeError:
        return False


def fitting_format(raw: Any) -> str | None:
    """The call format a stored output is in, if any: fc, decoded, a family, or prompt."""
    if isinstance(raw, list):
        if decodes(raw, "fc"):
            return "fc"
        return "decoded" if _calls(raw) else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    family = suggest(raw)
    if family is not None and family != "decoded":
        return family
    return "prompt" if decodes(raw, "prompt") else family


def _steps(raw: Any) -> list[Any]:
    """Single-turn outputs as they are; multi-turn outputs (turns of steps) flattened."""
    if isinstance(raw, list) and raw and all(isinstance(turn, list) for turn in raw):
        return [step for turn in raw for step in turn]
    return [raw]


def fit_warning(outputs: Iterable[Any], call_format: str) -> str | None:
    """One line when the outputs fit another call format better than ``call_format``.

    ``outputs`` are stored results (text, call lists, or multi-turn turns of steps);
    ``None`` and empty outputs are ignored.
    """
    total = 0
    misfit: Counter[str] = Counter()
    for output in outputs:
        for raw in _steps(output):
            if raw is None or raw == "" or raw == []:
                continue
            total += 1
            if decodes(raw, call_format):
                continue
            other = fitting_format(raw)
            if other is None or other == call_format:
                continue
            if frozenset({other, call_format}) in _SAME:
                continue
            misfit[other] += 1
    if not misfit:
        return None
    best, n = misfit.most_common(1)[0]
    if n < max(1, MISFIT_SHARE * total):
        return None
    return (
        f"{n} of {total} outputs do not decode as {call_format} but do as {best}: "
        f"rerun with --call-format {best} (BFCL decodes each model with its own handler)"
    )
