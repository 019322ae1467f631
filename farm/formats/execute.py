"""BFCL's ``decode_execute``: one raw model step into a list of call strings.

BFCL turns every step of a multi-turn answer into Python call strings such as
``cd(folder='document')`` and executes those. The strings matter: they are what BFCL feeds
back to a prompt-mode model as the tool message ``name``, and their exact rendering decides
what value an argument has when executed (a dict of dicts becomes a nested call, dict keys
become strings, NaN becomes the bare name ``nan``, ...). This module reproduces both shapes:

- FC (``convert_to_function_call``): a list of ``{tool_name: arguments_json}``; each becomes
  ``name(k=repr(v),...)`` (commas without spaces).
- prompt (``default_decode_execute_prompting``): text holding ``[f(a=1), g(b='x')]``, parsed
  with ``ast``; only keyword arguments are kept, values are re-rendered with ``repr`` and
  BFCL's nested-dict rule, joined with ``", "``.

Where BFCL calls ``eval`` on an arithmetic argument (``2*3``) this module folds the
expression over literal operands only, with size limits; anything else that BFCL would
evaluate (names, lambdas, attribute access) makes the step undecodable, as it does in BFCL
for everything but its own module's globals. :class:`DecodeError` means "BFCL drops this
step"; an empty list means "the model made no call", which ends a turn.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from farm.formats.base import CallFormat


class DecodeError(Exception):
    """The step does not decode into calls (BFCL drops it and ends the turn)."""


def decode_execute(raw_step: Any, *, mode: str | CallFormat) -> list[str]:
    """Decode one raw model step into BFCL's executable call strings.

    Args:
        raw_step: the step as stored in a result file: text (prompt mode, or an FC reply
            without tool calls) or a list of ``{tool_name: arguments_json}`` (FC).
        mode: the call format (or its registered name, ``"fc"`` or ``"prompt"``).

    Returns:
        The call strings, possibly empty (no call).

    Raises:
        DecodeError: BFCL's decoder would raise on this step.
        ConfigError: unknown format name.
    """
    if isinstance(mode, str):
        from farm.formats.registry import get_format

        mode = get_format(mode)
    try:
        return mode.execute_strings(raw_step)
    except DecodeError:
        raise
    except (Exception, RecursionError) as exc:  # any failure is "undecodable", as in BFCL
        raise DecodeError(f"{type(exc).__name__}: {exc}") from exc


def is_empty_response(decoded: list[str]) -> bool:
    """BFCL's ``is_empty_execute_response``: no call at all."""
    return len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


def decode_fc_step(raw_step: Any) -> list[str]:
    """FC (``convert_to_function_call``): ``[{name: arguments_json}]`` -> call strings."""
    items = [raw_step] if isinstance(raw_step, dict) else raw_step
    if isinstance(items, str):
        if items == "":
            return []
        raise DecodeError("the model replied with text, not tool calls")
    calls: list[str] = []
    for item in items:
        if not isinstance(item, dict):
            raise DecodeError(f"tool call {item!r} is not an object")
        for name, arguments in item.items():
            value = json.loads(arguments) if isinstance(arguments, str) else arguments
            if not isinstance(value, dict):
                raise DecodeError(f"arguments of {name} are not an object")
            rendered = ",".join(f"{k}={v!r}" for k, v in value.items())
            calls.append(f"{name}({rendered})")
    return calls


def decode_prompt_step(raw_step: Any) -> list[str]:
    """Prompt (``default_decode_execute_prompting``): call-list text -> call strings."""
    if not isinstance(raw_step, str):
        raise DecodeError("prompt-mode output is not text")
    text = raw_step.strip("`\n ")
    if not text.startswith("["):
        text = "[" + text
    if not text.endswith("]"):
        text = text + "]"
    body = ast.parse(text.strip().strip("'"), mode="eval").body
    if isinstance(body, ast.Call):
        nodes: list[ast.expr] = [body]
    elif isinstance(body, ast.List | ast.Tuple | ast.Set):
        nodes = list(body.elts)
    else:
        raise DecodeError("output is not a list of calls")
    calls: list[str] = []
    for node in nodes:
        if not isinstance(node, ast.Call):
            raise DecodeError("an element of the list is not a call")
        for name, args in _resolve_call(node).items():
            rendered = ", ".join(f"{k}={render_nested(v)}" for k, v in args.items())
            calls.append(f"{name}({rendered})")
    return calls


def _resolve_call(node: ast.Call) -> dict[str, dict[Any, Any]]:
    """BFCL's ``resolve_ast_call``: dotted name, keyword arguments only."""
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    name = ".".join(reversed(parts))
    args: dict[Any, Any] = {}
    for keyword in node.keywords:
        args[keyword.arg] = _resolve_value(keyword.value)
    return {name: args}


def _resolve_value(node: ast.expr | None) -> Any:
    """BFCL's ``resolve_ast_by_type``, with arithmetic folded instead of evaluated."""
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        # BFCL negates the operand's literal whatever the operator is (+5 -> -5, not 1 -> -1).
        operand = node.operand
        if not isinstance(operand, ast.Constant):
            raise DecodeError("unary operator on a non-literal")
        value: Any = operand.value
        return -value
    if isinstance(node, ast.List):
        return [_resolve_value(v) for v in node.elts]
    if isinstance(node, ast.Dict):
        return {
            _resolve_value(k): _resolve_value(v)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.BinOp):
        return _fold(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        if not node.keywords:
            return ast.unparse(node)
        return _resolve_call(node)
    if isinstance(node, ast.Tuple):
        return tuple(_resolve_value(v) for v in node.elts)
    if isinstance(node, ast.Subscript):
        return ast.unparse(node.value) + "[" + ast.unparse(node.slice) + "]"
    raise DecodeError(f"unsupported argument syntax: {type(node).__name__}")


def render_nested(value: Any) -> str:
    """BFCL's ``parse_nested_value``: the source text of one argument value."""
    if isinstance(value, dict):
        if all(isinstance(v, dict) for v in value.values()):
            func_name = list(value.keys())[0]  # an empty dict raises, as in BFCL
            args = value[func_name]
            rendered = ", ".join(f"{k}={render_nested(v)}" for k, v in args.items())
            return f"{func_name}({rendered})"
        return "{" + ", ".join(f"'{k}': {render_nested(v)}" for k, v in value.items()) + "}"
    return repr(value)


_MAX_SEQUENCE = 1_000_000
_MAX_INT_BITS = 4_096

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
}


def _fold(node: ast.expr) -> Any:
    """Compute an arithmetic expression over literals, refusing anything but literals."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, type(Ellipsis)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _fold(node.operand)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.List):
        return [_fold(v) for v in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_fold(v) for v in node.elts)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _fold(node.left), _fold(node.right)
        _check_size(node.op, left, right)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, str | bytes | list | tuple) and len(result) > _MAX_SEQUENCE:
            raise DecodeError("arithmetic result too large")
        return result
    raise DecodeError(f"non-literal operand in arithmetic: {type(node).__name__}")


def _check_size(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse arithmetic whose result would be absurdly large (a decode-time DoS guard)."""
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * max(abs(left).bit_length(), 1) > _MAX_INT_BITS:
            raise DecodeError("power too large")
    if isinstance(op, ast.Mult):
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
                if len(seq) * max(count, 0) > _MAX_SEQUENCE:
                    raise DecodeError("repetition too large")
