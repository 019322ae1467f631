"""Decode prompt-mode model output (Python call syntax) into calls, without running it.

The rules are BFCL's (``default_decode_ast_prompting``): strip backticks, newlines and
spaces from both ends, wrap in ``[...]``, parse with :mod:`ast` and turn each call into
``{name: {keyword: value}}``. Positional arguments are dropped. Where BFCL evaluates an
arithmetic sub-expression with ``eval``, this module folds literal operands only, with
bounded cost; anything else is a :class:`DecodeError`, which BFCL would also report as a
decoding failure for the inputs that matter (names, calls, attribute access).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

#: Longest model output decoded, in characters (longer output is a decoding failure).
MAX_SOURCE_CHARS = 4 * 1024 * 1024
#: Deepest value nesting followed while resolving (deeper is a decoding failure).
MAX_DEPTH = 200
#: Largest integer a folded power or shift may produce, in bits.
MAX_INT_BITS = 100_000
#: Longest sequence a folded repetition may produce.
MAX_SEQ_LEN = 1_000_000


class DecodeError(Exception):
    """The output cannot be decoded into calls (BFCL: ``ast_decoder:decoder_failed``)."""


Call = dict[str, dict[Any, Any]]


def decode_python_calls(text: Any) -> list[Call]:
    """Decode a prompt-mode answer into ``[{name: {param: value}}]`` as BFCL does.

    Raises:
        DecodeError: the text is not a Python list of calls (or is hostile).
    """
    if not isinstance(text, str):
        raise DecodeError(f"model output is {type(text).__name__}, not text")
    result = text.strip("`\n ")
    if not result.startswith("["):
        result = "[" + result
    if not result.endswith("]"):
        result = result + "]"
    return parse_python_calls(result)


def parse_python_calls(source: str) -> list[Call]:
    """Parse bracketed Python call syntax (BFCL ``ast_parse`` with the PYTHON format)."""
    if len(source) > MAX_SOURCE_CHARS:
        raise DecodeError(f"model output longer than {MAX_SOURCE_CHARS} characters")
    cleaned = source.strip().strip("'")
    try:
        parsed = ast.parse(cleaned, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError, UnicodeError) as exc:
        raise DecodeError(f"invalid syntax: {type(exc).__name__}: {exc}"[:300]) from None
    body = parsed.body
    if isinstance(body, ast.Call):
        return [_resolve_call(body, 0)]
    elts = getattr(body, "elts", None)
    if elts is None:
        raise DecodeError(f"expected a list of calls, got {type(body).__name__}")
    calls = []
    for elem in elts:
        if not isinstance(elem, ast.Call):
            raise DecodeError(f"list element is {type(elem).__name__}, not a call")
        calls.append(_resolve_call(elem, 0))
    return calls


def _resolve_call(node: ast.Call, depth: int) -> Call:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    args: dict[Any, Any] = {}
    for kw in node.keywords:
        args[kw.arg] = _resolve(kw.value, depth + 1)
    return {".".join(reversed(parts)): args}


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (RecursionError, ValueError) as exc:  # pragma: no cover - guarded by depth
        raise DecodeError(f"cannot render sub-expression: {type(exc).__name__}") from None


def _resolve(node: ast.expr, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        return "..." if node.value is Ellipsis else node.value
    if isinstance(node, ast.UnaryOp):
        # BFCL negates ``operand.value`` whatever the operator: ``+5`` and ``not 5`` give -5.
        operand = node.operand
        if not isinstance(operand, ast.Constant):
            raise DecodeError(f"unsupported unary operand {type(operand).__name__}")
        try:
            constant: Any = operand.value
            return -constant
        except TypeError as exc:
            raise DecodeError(f"cannot negate {type(operand.value).__name__}") from exc
    if isinstance(node, ast.List):
        return [_resolve(v, depth + 1) for v in node.elts]
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                raise DecodeError("dict unpacking is not supported")
            k = _resolve(key, depth + 1)
            try:
                out[k] = _resolve(value, depth + 1)
            except TypeError as exc:
                raise DecodeError(f"unhashable dict key: {exc}") from None
        return out
    if isinstance(node, ast.BinOp):
        return fold_literal(node, depth)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        if not node.keywords:
            return _unparse(node)
        return _resolve_call(node, depth + 1)
    if isinstance(node, ast.Tuple):
        return tuple(_resolve(v, depth + 1) for v in node.elts)
    if isinstance(node, ast.Subscript):
        return _unparse(node.value) + "[" + _unparse(node.slice) + "]"
    raise DecodeError(f"unsupported value {type(node).__name__}")


# -- bounded folding of literal arithmetic --------------------------------------------


def _check_size(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise DecodeError("folded integer too large")
    elif isinstance(value, (str, bytes, list, tuple)) and len(value) > MAX_SEQ_LEN:
        raise DecodeError("folded sequence too long")
    return value


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        if abs(a) > 1 and max(a.bit_length(), 1) * b > MAX_INT_BITS:
            raise DecodeError("exponentiation result too large")
    return operator.pow(a, b)


def _mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
            if len(seq) * max(n, 0) > MAX_SEQ_LEN:
                raise DecodeError("repetition result too long")
    return operator.mul(a, b)


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > MAX_INT_BITS:
        raise DecodeError("shift result too large")
    return operator.lshift(a, b)


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes)):
        raise DecodeError("string formatting is not folded")
    return operator.mod(a, b)


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
    ast.LShift: _lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}

_UNOPS: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}


def fold_literal(node: ast.expr, depth: int) -> Any:
    """Evaluate literal arithmetic (numbers, strings, lists/tuples of literals) safely.

    Only constants and operators are allowed; results are size-checked before and after
    each step so that ``10**10**10`` or ``'a'*10**12`` fail fast instead of hanging.
    """
    if depth > MAX_DEPTH:
        raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [fold_literal(v, depth + 1) for v in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.UnaryOp):
        un = _UNOPS[type(node.op)]
        try:
            return _check_size(un(fold_literal(node.operand, depth + 1)))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise DecodeError(f"cannot fold: {type(exc).__name__}") from None
    if isinstance(node, ast.BinOp):
        left = fold_literal(node.left, depth + 1)
        right = fold_literal(node.right, depth + 1)
        fn = _BINOPS.get(type(node.op))
        if fn is None:
            raise DecodeError(f"operator {type(node.op).__name__} is not folded")
        try:
            return _check_size(fn(left, right))
        except (TypeError, ValueError, ArithmeticError, MemoryError) as exc:
            raise DecodeError(f"cannot fold: {type(exc).__name__}") from None
    raise DecodeError(f"only literal arithmetic is folded, not {type(node).__name__}")
