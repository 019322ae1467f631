r"""Hermes / Qwen ``<tool_call>`` JSON blocks (BFCL's ``QwenFCHandler``).

``<tool_call>\\n{"name": "f", "arguments": {...}}\\n</tool_call>``, once per call. As BFCL:
blocks are the non-overlapping spans between ``<tool_call>\\n`` and ``\\n</tool_call>``;
a block that is not valid JSON is skipped; a block that is not an object, or an object
without ``name`` and an ``arguments`` object, fails the decode. Text with no block decodes to
no calls (``[]``). The scan is linear: a start without a closing ends it.
"""

from __future__ import annotations

import json
from typing import Any

from farm.formats.families.common import Calls, Docs, FamilyDecodeError, require_text

OPEN = "<tool_call>\n"
CLOSE = "\n</tool_call>"


def blocks(text: str, open_tag: str = OPEN, close_tag: str = CLOSE) -> list[str]:
    """The bodies between ``open_tag`` and ``close_tag``, non-overlapping, in order."""
    found: list[str] = []
    pos = 0
    while True:
        start = text.find(open_tag, pos)
        if start < 0:
            return found
        body = start + len(open_tag)
        end = text.find(close_tag, body)
        if end < 0:
            return found
        found.append(text[body:end])
        pos = end + len(close_tag)


def decode_hermes(raw: Any, docs: Docs = None) -> Calls:
    """Decode ``<tool_call>`` JSON blocks into ``[{name: {param: value}}]``.

    Raises:
        FamilyDecodeError: not text, too long, or a block that is not a call object.
    """
    text = require_text(raw, "hermes")
    items: list[Any] = []
    for body in blocks(text):
        try:
            items.append(json.loads(body))
        except (ValueError, RecursionError):
            continue  # BFCL skips blocks that are not JSON
    calls: Calls = []
    for item in items:
        if not isinstance(item, dict):
            raise FamilyDecodeError("hermes: a <tool_call> block is not a JSON object")
        name, arguments = item.get("name"), item.get("arguments")
        if "name" not in item or not isinstance(arguments, dict):
            raise FamilyDecodeError("hermes: a <tool_call> block lacks name or arguments object")
        if not isinstance(name, str):
            raise FamilyDecodeError("hermes: tool name is not a string")
        calls.append({name: dict(arguments)})
    return calls


def looks_like(text: str) -> bool:
    """Whether ``text`` holds a Hermes-style JSON block."""
    return any(body.lstrip().startswith("{") for body in blocks(text))
