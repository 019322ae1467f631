"""Llama 3.x JSON calls and pythonic call lists (Llama 3.2/3.3/4).

Llama 3.1 in FC mode answers ``{"name": f, "parameters": {...}}``, possibly after
``<|python_tag|>`` and with several calls separated by ``;`` (BFCL's ``LlamaHandler_3_1``).
As BFCL: the tag is removed everywhere; text containing ``;`` is split on every ``;`` and
each piece must be JSON; other text is read as one Python literal (BFCL evaluates it; here
:func:`ast.literal_eval`, which accepts exactly the literal inputs and refuses the rest), a
single object standing for one call. Every call needs ``name`` and ``parameters``.

Llama 3.2/3.3/4 use the pythonic list ``[f(a=1), g(b=2)]``, decoded as BFCL's prompt mode
(:func:`farm.formats.pydecode.decode_python_calls`).
"""

from __future__ import annotations

from typing import Any

from farm.formats.families.common import (
    Calls,
    Docs,
    FamilyDecodeError,
    literal,
    loads,
    name_and_arguments,
    require_text,
)
from farm.formats.pydecode import decode_python_calls

PYTHON_TAG = "<|python_tag|>"


def decode_llama3_json(raw: Any, docs: Docs = None) -> Calls:
    """Decode Llama 3.1 JSON calls into ``[{name: parameters}]`` as BFCL does.

    Raises:
        FamilyDecodeError: not text, too long, not JSON/literal, or a call without
            ``name``/``parameters``.
    """
    text = require_text(raw, "llama3_json").replace(PYTHON_TAG, "")
    items: Any
    if ";" in text:
        items = [loads(piece, "llama3_json call") for piece in text.split(";")]
    else:
        try:
            items = literal(text)
        except ValueError as exc:
            raise FamilyDecodeError(f"llama3_json: not a call literal: {exc}"[:300]) from None
        if isinstance(items, dict):
            items = [items]
    if not isinstance(items, (list, tuple)):
        raise FamilyDecodeError(f"llama3_json: {type(items).__name__} is not a call list")
    return [name_and_arguments(item, ("parameters",), "llama3_json") for item in items]


def decode_pythonic(raw: Any, docs: Docs = None) -> Calls:
    """Decode a pythonic call list ``[f(a=1), g(b=2)]`` (BFCL's default prompt decoder).

    Raises:
        DecodeError: not text, or not a Python list of calls.
    """
    text = require_text(raw, "pythonic")
    return decode_python_calls(text.replace("<|python_start|>", "").replace("<|python_end|>", ""))


def looks_like_llama3_json(text: str) -> bool:
    """Whether ``text`` looks like Llama 3.1 JSON calls."""
    stripped = text.replace(PYTHON_TAG, "").lstrip(" \n[")
    return stripped.startswith("{") and '"parameters"' in text and '"name"' in text


def looks_like_pythonic(text: str) -> bool:
    """Whether ``text`` looks like a pythonic call list."""
    stripped = text.strip("`\n ")
    return stripped.startswith("[") and "(" in stripped and stripped.endswith(")]")
