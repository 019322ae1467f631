"""Mistral ``[TOOL_CALLS]`` calls.

Older Mistral tokenizers emit ``[TOOL_CALLS] [{"name": f, "arguments": {...}}, ...]``
(BFCL's ``MistralFCHandler`` reads the JSON list and keeps ``{name: arguments}`` as given);
newer ones (v11+) emit ``[TOOL_CALLS]f[ARGS]{...}`` once per call. The ``[TOOL_CALLS]``
marker is optional (servers that skip special tokens drop it).
"""

from __future__ import annotations

import json
from typing import Any

from farm.formats.families.common import (
    Calls,
    Docs,
    FamilyDecodeError,
    loads,
    name_and_arguments,
    require_text,
)

MARKER = "[TOOL_CALLS]"
ARGS = "[ARGS]"
_DECODER = json.JSONDecoder()


def _v11_calls(text: str) -> Calls:
    calls: Calls = []
    for piece in text.split(MARKER):
        if not piece.strip():
            continue
        name, sep, rest = piece.partition(ARGS)
        if not sep or not name.strip():
            raise FamilyDecodeError("mistral: [ARGS] without a function name")
        try:
            value, end = _DECODER.raw_decode(rest.lstrip())
        except (ValueError, RecursionError) as exc:
            raise FamilyDecodeError(f"mistral: arguments are not JSON: {exc}"[:300]) from None
        if rest.lstrip()[end:].strip():
            raise FamilyDecodeError("mistral: text after the arguments of a call")
        calls.append({name.strip(): value})
    return calls


def decode_mistral(raw: Any, docs: Docs = None) -> Calls:
    """Decode Mistral tool calls into ``[{name: arguments}]``.

    Raises:
        FamilyDecodeError: not text, too long, not a JSON list of ``{name, arguments}``.
    """
    text = require_text(raw, "mistral").strip()
    if ARGS in text:
        return _v11_calls(text)
    text = text.removeprefix(MARKER).strip()
    items = loads(text, "mistral calls")
    if not isinstance(items, list):
        raise FamilyDecodeError(f"mistral: {type(items).__name__} is not a list of calls")
    return [name_and_arguments(item, ("arguments",), "mistral") for item in items]


def looks_like(text: str) -> bool:
    """Whether ``text`` holds Mistral tool calls."""
    stripped = text.strip()
    return stripped.startswith(MARKER) or (stripped.startswith('[{"name"') and "arguments" in text)
