"""Decode function-calling (FC) output: a list of ``{tool_name: arguments_json}``.

BFCL's OpenAI-style ``decode_ast``: each item's first key is the tool name and its value
is parsed with ``json.loads``. A text answer (a string) fails to decode, except the empty
string, which iterates to an empty list of calls.
"""

from __future__ import annotations

import json
from typing import Any

from farm.formats.pydecode import MAX_SOURCE_CHARS, DecodeError


def _reject_constant(name: str) -> Any:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


def decode_fc_calls(raw: Any) -> list[Any]:
    """Decode an FC result into ``[{name: arguments}]`` exactly as BFCL does.

    The arguments may decode to something other than a dict (``null``, a list); the caller's
    format check turns that into ``ast_decoder:decoder_wrong_output_format``.

    Raises:
        DecodeError: the output is not a list of single tool calls with JSON arguments.
    """
    if isinstance(raw, str):
        if raw == "":
            return []
        raise DecodeError("model answered with text, not tool calls")
    if not isinstance(raw, list):
        raise DecodeError(f"model output is {type(raw).__name__}, not a list of tool calls")
    decoded: list[Any] = []
    for item in raw:
        if not isinstance(item, dict):
            raise DecodeError(f"tool call is {type(item).__name__}, not an object")
        if not item:
            raise DecodeError("empty tool call object")
        name = next(iter(item))
        arguments = item[name]
        if not isinstance(arguments, (str, bytes, bytearray)):
            raise DecodeError(f"arguments of {name!r} are not a JSON string")
        if len(arguments) > MAX_SOURCE_CHARS:
            raise DecodeError("tool-call arguments too long")
        try:
            params = json.loads(arguments, parse_constant=_reject_constant)
        except (ValueError, RecursionError, UnicodeError) as exc:
            raise DecodeError(f"invalid JSON arguments for {name!r}: {exc}"[:300]) from None
        decoded.append({name: params})
    return decoded
