"""Calls written in the return format a BFCL prompt-mode system prompt asks for.

The simulator answers a prompt-mode request in the return format and tag that the request's
system prompt names (:func:`farm.prompts.system.requested_format`), so that a
format-sensitivity run scores as the other categories do. The renderings are what
:func:`farm.formats.retdecode.decode_prompt_calls` reads back to the same calls:

- ``python``: ``[f(a=1, b='x')]``;
- ``json``: ``[{"function": "f", "parameters": {"a": 1, "b": "x"}}]``;
- ``verbose_xml``: ``<functions><function name="f"><params><param name="a" value="1"
  type="integer"/>...</params></function></functions>``;
- ``concise_xml``: ``<functions><function name="f"><param name="a" type="integer">1</param>
  ...</function></functions>``;

and with the tag, the text inside ``<TOOLCALL>...</TOOLCALL>``. XML values are typed by
their Python type (string, integer, float, boolean, null, array for lists and tuples, dict)
and written as text BFCL's ``convert_value_by_type`` turns back into them (``repr`` of
lists, tuples and dicts, ``true``/``false``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from farm.answers.ground_truth import python_call_text

Pair = tuple[str, dict[str, Any]]


def _xml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "dict"
    return "null" if value is None else "string"


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, str):
        return value or ""
    return repr(value)


def _json_calls(calls: Sequence[Pair]) -> str:
    return json.dumps([{"function": n, "parameters": a} for n, a in calls], ensure_ascii=False)


def _xml_calls(calls: Sequence[Pair], *, verbose: bool) -> str:
    out = ["<functions>"]
    for name, args in calls:
        params = []
        for key, value in args.items():
            kind, text = quoteattr(_xml_type(value)), _xml_text(value)
            if verbose:
                params.append(f"<param name={quoteattr(key)} value={quoteattr(text)} type={kind}/>")
            else:
                params.append(f"<param name={quoteattr(key)} type={kind}>{escape(text)}</param>")
        body = "".join(params)
        out.append(
            f"<function name={quoteattr(name)}>"
            + (f"<params>{body}</params>" if verbose else body)
            + "</function>"
        )
    return "".join(out) + "</functions>"


_RENDERERS: dict[str, Callable[[Sequence[Pair]], str]] = {
    "python": python_call_text,
    "json": _json_calls,
    "verbose_xml": lambda calls: _xml_calls(calls, verbose=True),
    "concise_xml": lambda calls: _xml_calls(calls, verbose=False),
}


def prompt_call_text(calls: Sequence[Pair], return_format: str, tool_call_tag: bool) -> str:
    """``calls`` as text in ``return_format``, inside ``<TOOLCALL>`` tags if asked.

    Raises:
        ValueError: an unknown return format.
    """
    render = _RENDERERS.get(return_format)
    if render is None:
        raise ValueError(f"unknown return format {return_format!r}")
    text = render(calls)
    return f"<TOOLCALL>{text}</TOOLCALL>" if tool_call_tag else text
