"""Already-decoded argument objects: ``[{name: {param: value}}]`` stored as they are.

BFCL's handlers for Gemini, Nova and Mistral (FC) store calls decoded at inference time;
BFCL's ``decode_ast`` passes them through (Gemini wraps a lone object in a list). Text is
read as JSON first, so the same shape in a reply's content decodes too.
"""

from __future__ import annotations

from typing import Any

from farm.formats.families.common import Docs, FamilyDecodeError, loads
from farm.formats.pydecode import MAX_SOURCE_CHARS


def decode_decoded(raw: Any, docs: Docs = None) -> list[Any]:
    """Return the stored calls (a lone object wrapped in a list), as BFCL does.

    The result may not be in call format (e.g. a list of strings); the scorer's format check
    rejects it as BFCL's does.

    Raises:
        FamilyDecodeError: text that is not JSON, or a value that is not a list or object.
    """
    value = raw
    if isinstance(raw, str):
        if len(raw) > MAX_SOURCE_CHARS:
            raise FamilyDecodeError(f"decoded: output longer than {MAX_SOURCE_CHARS} chars")
        value = loads(raw.strip(), "decoded calls")
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise FamilyDecodeError(f"decoded: {type(value).__name__} is not a list of calls")
    return value


def looks_like(raw: Any) -> bool:
    """Whether ``raw`` is a list of ``{name: dict}`` objects (not OpenAI JSON strings)."""
    return (
        isinstance(raw, list)
        and bool(raw)
        and all(
            isinstance(item, dict)
            and len(item) == 1
            and isinstance(next(iter(item.values())), dict)
            for item in raw
        )
    )
