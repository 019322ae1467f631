"""How the simulator hands its calls back: as ``tool_calls`` or as a protocol deviation.

``SimulatorConfig.call_style`` picks one:

* ``tool_calls`` (default): OpenAI ``tool_calls`` with JSON-string arguments.
* ``arguments_object``: ``tool_calls`` whose ``arguments`` is a JSON object (TGI, gateways).
* ``bad_json``: ``tool_calls`` whose ``arguments`` string is cut mid-JSON.
* ``truncated``: the reply cut by ``max_tokens`` (``finish_reason: "length"``, no calls).
* ``no_finish_reason``: ``finish_reason`` null.
* a family call format (``hermes``, ``glm4``, ...; :mod:`farm.formats.families`): the calls
  written into ``content`` in that family's syntax, no ``tool_calls``, as a server without
  a tool-call parser for the model returns them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from farm.formats.families import FAMILIES

WIRE_STYLES = ("tool_calls", "arguments_object", "bad_json", "truncated", "no_finish_reason")

Pair = tuple[str, dict[str, Any]]


def call_styles() -> tuple[str, ...]:
    """Every style name."""
    return (*WIRE_STYLES, *sorted(FAMILIES))


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _hermes(calls: Sequence[Pair]) -> str:
    return "\n".join(
        "<tool_call>\n"
        + json.dumps({"name": n, "arguments": a}, ensure_ascii=False)
        + "\n</tool_call>"
        for n, a in calls
    )


def _qwen3_coder(calls: Sequence[Pair]) -> str:
    out = []
    for name, args in calls:
        params = "".join(
            f"<parameter={k}>\n{_value_text(v)}\n</parameter>\n" for k, v in args.items()
        )
        out.append(f"<tool_call>\n<function={name}>\n{params}</function>\n</tool_call>")
    return "\n".join(out)


def _glm4(calls: Sequence[Pair]) -> str:
    return "\n".join(f"{n}\n{json.dumps(a, ensure_ascii=False)}" for n, a in calls)


def _glm45(calls: Sequence[Pair]) -> str:
    out = []
    for name, args in calls:
        pairs = "".join(
            f"<arg_key>{k}</arg_key>\n<arg_value>{_value_text(v)}</arg_value>\n"
            for k, v in args.items()
        )
        out.append(f"<tool_call>{name}\n{pairs}</tool_call>")
    return "".join(out)


def _llama3_json(calls: Sequence[Pair]) -> str | None:
    objects = [{"name": n, "parameters": a} for n, a in calls]
    pieces = [json.dumps(o, ensure_ascii=False) for o in objects]
    if len(pieces) > 1 and not any(";" in p for p in pieces):
        return "<|python_tag|>" + "; ".join(pieces)
    literal = repr(objects[0] if len(objects) == 1 else objects)
    return None if ";" in literal else "<|python_tag|>" + literal


def _pythonic(calls: Sequence[Pair]) -> str:
    return (
        "["
        + ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls)
        + "]"
    )


def _mistral(calls: Sequence[Pair]) -> str:
    items = [{"name": n, "arguments": a} for n, a in calls]
    return "[TOOL_CALLS] " + json.dumps(items, ensure_ascii=False)


def _json(calls: Sequence[Pair]) -> str:
    items = [{"name": n, "arguments": a} for n, a in calls]
    body = items[0] if len(items) == 1 else items
    return "```json\n" + json.dumps(body, ensure_ascii=False) + "\n```"


def _decoded(calls: Sequence[Pair]) -> str:
    return json.dumps([{n: a} for n, a in calls], ensure_ascii=False)


_RENDER: dict[str, Callable[[Sequence[Pair]], str | None]] = {
    "hermes": _hermes,
    "qwen3_coder": _qwen3_coder,
    "glm4": _glm4,
    "glm4_bfcl": lambda calls: _glm4(calls[:1]) if len(calls) == 1 else None,
    "glm45": _glm45,
    "llama3_json": _llama3_json,
    "pythonic": _pythonic,
    "mistral": _mistral,
    "json": _json,
    "decoded": _decoded,
}


def render_calls(style: str, calls: Sequence[tuple[str, str]]) -> str | None:
    """``(name, arguments_json)`` calls as text in family ``style``'s syntax.

    ``None`` when the calls cannot be written faithfully in that syntax (arguments that are
    not JSON objects; a Llama 3.1 rendering that would need ``;`` inside a value).
    """
    pairs: list[Pair] = []
    for name, arguments in calls:
        try:
            value = json.loads(arguments)
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        pairs.append((name, value))
    render = _RENDER.get(style)
    return render(pairs) if render is not None and pairs else None


def styled_message(
    style: str, content: str | None, calls: Sequence[tuple[str, str]]
) -> tuple[dict[str, Any], str | None]:
    """The chat ``message`` and ``finish_reason`` for a reply in ``style``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    wire: list[dict[str, Any]] = [
        {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
        for i, (n, a) in enumerate(calls)
    ]
    finish: str | None = "tool_calls" if calls else "stop"
    if style == "truncated":
        text = content or "".join(n + a for n, a in calls)
        message["content"] = text[: max(1, len(text) // 2)]
        return message, "length"
    if style == "no_finish_reason":
        finish = None
    elif style in FAMILIES and calls:
        rendered = render_calls(style, calls)
        if rendered is not None:
            message["content"] = rendered
            return message, "stop"
    elif style == "arguments_object":
        for call in wire:
            try:
                call["function"]["arguments"] = json.loads(call["function"]["arguments"])
            except ValueError:
                pass
    elif style == "bad_json":
        for call in wire:
            arguments = call["function"]["arguments"]
            call["function"]["arguments"] = arguments[: max(1, len(arguments) - 1)]
    if wire:
        message["tool_calls"] = wire
    return message, finish
