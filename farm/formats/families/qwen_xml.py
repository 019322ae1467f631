"""Qwen3-Coder XML calls: ``<tool_call><function=f><parameter=k>v</parameter>...``.

The syntax of Qwen3-Coder's chat template (no BFCL handler exists; the facts are those of
the template and of vLLM's ``qwen3_coder`` parser)::

    <tool_call>
    <function=get_weather>
    <parameter=city>
    Paris
    </parameter>
    </function>
    </tool_call>

One newline after ``<parameter=k>`` and one before ``</parameter>`` belong to the syntax and
are dropped. Values are converted by the parameter's type in the function docs when given
(:func:`~farm.formats.families.common.convert_param`: JSON or Python literals only).
A ``<function=`` without its closing tags fails the decode; text without any decodes to
no calls.
"""

from __future__ import annotations

from typing import Any

from farm.formats.families.common import (
    Calls,
    Docs,
    FamilyDecodeError,
    convert_param,
    param_types,
    require_text,
)
from farm.formats.families.hermes import blocks


def _strip_one_newline(value: str) -> str:
    value = value[1:] if value.startswith("\n") else value
    return value[:-1] if value.endswith("\n") else value


def _function(body: str, docs: Docs) -> dict[str, Any]:
    if not body.startswith("<function="):
        raise FamilyDecodeError("qwen3_coder: function block does not start with <function=")
    head_end = body.find(">")
    if head_end < 0:
        raise FamilyDecodeError("qwen3_coder: unterminated <function= tag")
    name = body[len("<function=") : head_end].strip()
    if not name:
        raise FamilyDecodeError("qwen3_coder: empty function name")
    types = param_types(docs, name)
    rest = body[head_end + 1 :]
    params: dict[str, Any] = {}
    pos = 0
    while True:
        start = rest.find("<parameter=", pos)
        if start < 0:
            break
        key_end = rest.find(">", start)
        if key_end < 0:
            raise FamilyDecodeError("qwen3_coder: unterminated <parameter= tag")
        key = rest[start + len("<parameter=") : key_end].strip()
        end = rest.find("</parameter>", key_end)
        if end < 0:
            raise FamilyDecodeError(f"qwen3_coder: parameter {key!r} is not closed")
        value = _strip_one_newline(rest[key_end + 1 : end])
        params[key] = convert_param(value, types.get(key, ""))
        pos = end + len("</parameter>")
    return {name: params}


def decode_qwen_xml(raw: Any, docs: Docs = None) -> Calls:
    """Decode Qwen3-Coder XML tool calls into ``[{name: {param: value}}]``.

    Raises:
        FamilyDecodeError: not text, too long, or a malformed function block.
    """
    text = require_text(raw, "qwen3_coder")
    calls: Calls = []
    for body in blocks(text, "<tool_call>", "</tool_call>"):
        inner = body.strip()
        if not inner.startswith("<function="):
            raise FamilyDecodeError("qwen3_coder: <tool_call> without <function=...>")
        close = inner.rfind("</function>")
        if close < 0:
            raise FamilyDecodeError("qwen3_coder: <function=...> is not closed")
        calls.append(_function(inner[:close], docs))
    if not calls and "<function=" in text:
        raise FamilyDecodeError("qwen3_coder: <function=...> outside a complete <tool_call>")
    return calls


def looks_like(text: str) -> bool:
    """Whether ``text`` holds a Qwen3-Coder XML call."""
    return "<tool_call>" in text and "<function=" in text
