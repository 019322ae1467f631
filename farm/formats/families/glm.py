r"""GLM call syntaxes: GLM-4 ``name\\n{json}`` and GLM-4.5 ``<arg_key>/<arg_value>``.

GLM-4-9B-chat answers a call as the tool name on one line and its arguments as a JSON
object after it (BFCL's ``GLMHandler``). :func:`decode_glm4_bfcl` is BFCL's decoder exactly:
one line is not a call (the text is returned in a list, which BFCL's format check rejects);
otherwise the first line is the name and the second line must be JSON, and further lines
are ignored. :func:`decode_glm4` reads several calls, one ``name\\n{json}`` after another,
and agrees with BFCL on single calls.

GLM-4.5/4.6 wrap each call in ``<tool_call>NAME\\n<arg_key>k</arg_key>\\n<arg_value>v
</arg_value>...</tool_call>`` (chat template and vLLM's ``glm45`` parser); values are
converted by the parameter's type, literal-only.
"""

from __future__ import annotations

import json
from typing import Any

from farm.formats.families.common import (
    Calls,
    Docs,
    FamilyDecodeError,
    convert_param,
    loads,
    param_types,
    require_text,
)
from farm.formats.families.hermes import blocks

_DECODER = json.JSONDecoder()


def decode_glm4_bfcl(raw: Any, docs: Docs = None) -> list[Any]:
    """BFCL's GLM-4 decoder: ``[{line1: json(line2)}]``, or ``[text]`` for one line.

    Raises:
        FamilyDecodeError: not text, too long, or the second line is not JSON.
    """
    text = require_text(raw, "glm4")
    lines = text.split("\n")
    if len(lines) == 1:
        return [lines[0]]
    return [{lines[0]: loads(lines[1], "glm4 arguments")}]


def decode_glm4(raw: Any, docs: Docs = None) -> list[Any]:
    r"""Several GLM-4 calls: ``name\\n{json}`` repeated (whitespace between calls allowed).

    Text of one line is returned as ``[text]`` (no call), as BFCL does. Text after the last
    complete call that does not start another call is ignored, as BFCL ignores lines after
    the second.

    Raises:
        FamilyDecodeError: not text, too long, or a first call whose arguments are not a
            JSON object.
    """
    text = require_text(raw, "glm4")
    if "\n" not in text:
        return [text]
    calls: Calls = []
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        newline = text.find("\n", pos)
        if newline < 0:
            break
        name = text[pos:newline].strip()
        start = newline + 1
        while start < len(text) and text[start] in " \t\r":
            start += 1
        try:
            value, end = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError) as exc:
            if calls:
                break
            message = f"glm4: arguments of {name!r} are not JSON: {exc}"[:300]
            raise FamilyDecodeError(message) from None
        if not isinstance(value, dict) or not name:
            if calls:
                break
            raise FamilyDecodeError("glm4: a call needs a name line and a JSON object")
        calls.append({name: value})
        pos = end
    return calls


def decode_glm45(raw: Any, docs: Docs = None) -> Calls:
    """Decode GLM-4.5 ``<tool_call>`` blocks with ``<arg_key>/<arg_value>`` pairs.

    Raises:
        FamilyDecodeError: not text, too long, or a block with an unpaired key or value.
    """
    text = require_text(raw, "glm45")
    calls: Calls = []
    for body in blocks(text, "<tool_call>", "</tool_call>"):
        cut = body.find("<arg_key>")
        head = body if cut < 0 else body[:cut]
        name = head.strip()
        if not _is_name(name):
            raise FamilyDecodeError("glm45: <tool_call> without a function name")
        types = param_types(docs, name)
        params: dict[str, Any] = {}
        rest = "" if cut < 0 else body[cut:]
        pos = 0
        while True:
            key_start = rest.find("<arg_key>", pos)
            if key_start < 0:
                break
            key_end = rest.find("</arg_key>", key_start)
            value_start = rest.find("<arg_value>", key_end)
            value_end = rest.find("</arg_value>", value_start)
            if min(key_end, value_start, value_end) < 0:
                raise FamilyDecodeError(f"glm45: unpaired <arg_key>/<arg_value> in {name!r}")
            if rest[key_end + len("</arg_key>") : value_start].strip():
                raise FamilyDecodeError(f"glm45: text between a key and its value in {name!r}")
            key = rest[key_start + len("<arg_key>") : key_end].strip()
            value = rest[value_start + len("<arg_value>") : value_end]
            params[key] = convert_param(value, types.get(key, ""))
            pos = value_end + len("</arg_value>")
        if rest[pos:].strip():
            raise FamilyDecodeError(f"glm45: trailing text in the call of {name!r}")
        calls.append({name: params})
    return calls


def looks_like_glm4(text: str) -> bool:
    """Whether ``text`` starts with a ``name`` line followed by a JSON object line."""
    first, _, rest = text.strip().partition("\n")
    return bool(first) and " " not in first.strip() and rest.lstrip().startswith("{")


def looks_like_glm45(text: str) -> bool:
    """Whether ``text`` holds a GLM-4.5 call: a ``<tool_call>`` block opening with a name.

    A call without arguments has no ``<arg_key>`` (``<tool_call>get_time</tool_call>``);
    Hermes (``{``) and Qwen3-Coder (``<function=``) blocks open otherwise.
    """
    if "<arg_key>" in text and "<tool_call>" in text:
        return True
    return any(_named_block(body) for body in blocks(text, "<tool_call>", "</tool_call>"))


def _named_block(body: str) -> bool:
    return _is_name(body.strip())


def _is_name(name: str) -> bool:
    """A function name: no whitespace or markup, not a JSON value (a Hermes block)."""
    return bool(name) and name[0] not in '{["' and not any(c.isspace() or c in "<>" for c in name)
