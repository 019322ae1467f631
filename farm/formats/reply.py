"""One chat reply as data: BFCL's result shape plus what the endpoint did on the way.

:func:`decode_reply` turns a :class:`~farm.endpoints.types.Completion` into the raw output
BFCL stores (FC: ``[{name: arguments_json}]`` or the text; prompt: the text) and a
``call_info`` record kept on the result (``results.call_info``)::

    {"finish_reason": "stop", "content": "null" | "empty" | "text",
     "reasoning": str | None, "parsed_by": "server" | "client" | None,
     "deviations": ["arguments_object", "calls_as_text:hermes", ...],
     "text": str (only when the client parsed the calls: the reply text it read)}

Deviations are protocol departures the farm tolerates but records:

* ``arguments_object``: a ``tool_calls`` entry gave ``arguments`` as a JSON object, not a
  string (TGI, some gateways); the object is accepted (re-serialised).
* ``arguments_missing``: a ``tool_calls`` entry had no ``arguments`` (read as ``{}``).
* ``arguments_not_object`` / ``arguments_invalid_json``: a ``tool_calls`` entry whose
  ``arguments`` is no JSON object (an array, a number, a double-encoded string) or no JSON
  at all; kept as sent (BFCL scores it as no call, a correct abstention on irrelevance).
* ``calls_as_text:FAMILY``: an FC reply had no ``tool_calls`` but its text holds calls in
  FAMILY's syntax (parsed when the model's call format is that family, else only flagged).
* ``no_finish_reason``: the choice had no ``finish_reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from farm.formats.families import FAMILIES, as_tool_calls, client_calls, suggest

if TYPE_CHECKING:
    from farm.endpoints.types import Completion

#: Longest reasoning text kept per result, in characters (the rest is cut).
MAX_REASONING_CHARS = 100_000
#: ``finish_reason`` of a reply cut by ``max_tokens``.
TRUNCATED = "length"
#: The error kind of an invalid answer whose reply was cut by ``max_tokens``.
TRUNCATED_ERROR = "inference:output_truncated"


def call_format_names() -> tuple[str, ...]:
    """Every registered call format (``fc``, ``prompt`` and the families)."""
    from farm.formats.registry import format_names

    return format_names()


def offers_tools(mode: str) -> bool:
    """Whether call format ``mode`` sends native ``tools`` (FC and the family formats)."""
    from farm.formats.fc import FunctionCalling
    from farm.formats.registry import get_format

    return isinstance(get_format(mode), FunctionCalling)


def content_kind(content: str | None) -> str:
    """``null``, ``empty`` or ``text``: what the reply's content was."""
    if content is None:
        return "null"
    return "empty" if content == "" else "text"


def decode_reply(
    completion: Completion, *, mode: str, docs: Sequence[Mapping[str, Any]] | None = None
) -> tuple[Any, dict[str, Any]]:
    """The raw output in BFCL's shape and the reply's ``call_info``.

    Args:
        completion: the reply (its ``deviations`` are those seen on the wire).
        mode: the call format's name; a family format parses calls from the text of a
            reply without ``tool_calls`` (stored as ``[{name: arguments_json}]``).
        docs: the function docs offered (parameter types for XML-ish formats).

    Raises:
        ConfigError: unknown call format.
    """
    from farm.formats.registry import get_format

    call_format = get_format(mode)
    reasoning = completion.reasoning
    info: dict[str, Any] = {
        "finish_reason": completion.finish_reason,
        "content": content_kind(completion.content),
        "reasoning": reasoning[:MAX_REASONING_CHARS] if reasoning else None,
        "parsed_by": None,
        "deviations": list(completion.deviations),
    }
    if completion.finish_reason is None:
        info["deviations"].append("no_finish_reason")
    if not offers_tools(mode):
        return call_format.record(completion), info
    if completion.tool_calls:
        info["parsed_by"] = "server"
        return call_format.record(completion), info
    text = completion.content or ""
    if mode in FAMILIES:
        calls = client_calls(text, mode, docs)
        if calls is not None:
            info["parsed_by"] = "client"
            info["text"] = text
            info["deviations"].append(f"calls_as_text:{mode}")
            return as_tool_calls(calls), info
    if text:
        family = suggest(text, docs)
        if family is not None:
            info["deviations"].append(f"calls_as_text:{family}")
    return call_format.record(completion), info


def truncated(info: Mapping[str, Any] | None) -> bool:
    """Whether a reply was cut by ``max_tokens`` (``finish_reason == "length"``)."""
    return bool(info) and info is not None and info.get("finish_reason") == TRUNCATED


def truncation_kind(
    valid: bool, error_type: str | None, info: Mapping[str, Any] | None
) -> str | None:
    """The error kind of a verdict (validity is never changed).

    ``inference:output_truncated`` for an invalid answer cut by ``max_tokens``, else
    ``error_type`` unchanged.
    """
    if not valid and truncated(info):
        return TRUNCATED_ERROR
    return error_type
