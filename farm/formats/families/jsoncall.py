"""Plain or fenced JSON call objects, as small instruction-tuned and coder models answer.

``{"name": f, "arguments": {...}}`` (or ``"parameters"``), a list of such objects, either
bare or inside a Markdown code fence (```` ```json ... ``` ````; the first fence is read).
``arguments`` given as a JSON string (the OpenAI wire shape) is decoded too.
"""

from __future__ import annotations

from typing import Any

from farm.formats.families.common import (
    Calls,
    Docs,
    FamilyDecodeError,
    loads,
    name_and_arguments,
    require_text,
)

FENCE = "```"


def unfence(text: str) -> str:
    """The body of the first Markdown code fence in ``text``, or ``text`` stripped."""
    start = text.find(FENCE)
    if start < 0:
        return text.strip()
    body_start = text.find("\n", start)
    end = text.find(FENCE, start + len(FENCE))
    if body_start < 0 or end < 0 or end < body_start:
        raise FamilyDecodeError("json: unterminated code fence")
    return text[body_start + 1 : end].strip()


def decode_json_calls(raw: Any, docs: Docs = None) -> Calls:
    """Decode bare or fenced JSON call objects into ``[{name: {param: value}}]``.

    Raises:
        FamilyDecodeError: not text, too long, not JSON, or an object that is not a call.
    """
    text = unfence(require_text(raw, "json"))
    value = loads(text, "json call")
    items = value if isinstance(value, list) else [value]
    calls: Calls = []
    for item in items:
        call = name_and_arguments(item, ("arguments", "parameters"), "json")
        name, arguments = next(iter(call.items()))
        if isinstance(arguments, str):
            arguments = loads(arguments, f"json arguments of {name!r}")
        if not isinstance(arguments, dict):
            raise FamilyDecodeError(f"json: arguments of {name!r} are not an object")
        calls.append({name: arguments})
    return calls


def looks_like(text: str) -> bool:
    """Whether ``text`` looks like a JSON call object."""
    try:
        body = unfence(text)
    except FamilyDecodeError:
        return False
    return body.lstrip("[ \n").startswith("{") and '"name"' in body
