"""Decode prompt-mode Java and JavaScript calls into BFCL's source-text arguments.

BFCL parses these answers with tree-sitter and keeps every argument as source text (quotes
of a top-level string literal stripped); the AST checker converts the text later with the
parameter's declared type. This module is a small hand-written parser for the expression
subset models write, producing the same strings:

* Java: the first method invocation in the program (depth first); a value is rendered from
  its tokens without whitespace, except method invocations and identifiers (source text),
  ``new T(...)`` (arguments joined by ``", "``, any anonymous class body dropped) and
  ``new T[]{...}``.
* JavaScript: the first call that is a whole expression statement; a value is its exact
  source text, with surrounding quotes removed.

Anything outside the grammar is a :class:`~farm.formats.pydecode.DecodeError`, as a
tree-sitter ``ERROR`` node is for BFCL.
"""

from __future__ import annotations

from typing import Any

from farm.formats.cparse import Node, Parser, Tok
from farm.formats.pydecode import MAX_SOURCE_CHARS, DecodeError


def _java_text(src: str, part: Any, nested: bool) -> str:
    if isinstance(part, Tok):
        return str(part.text)
    node: Node = part
    if node.kind in ("string", "char"):
        raw = src[node.start : node.end]
        return raw if nested else raw[1:-1]
    if node.kind in ("ident", "call"):
        return src[node.start : node.end]
    if node.kind == "new_array":
        return f"new {_java_text(src, node.extra['type'], True)}[]" + _java_text(
            src, node.extra["init"], True
        )
    if node.kind == "new_obj":
        args = ", ".join(_java_text(src, a, True) for a in node.extra["args"])
        return f"new {_java_text(src, node.extra['type'], True)}({args})"
    return "".join(_java_text(src, p, True) for p in node.parts)


def _first_call(node: Any) -> Node | None:
    if not isinstance(node, Node):
        return None
    if node.kind == "call":
        return node
    for part in node.parts:
        found = _first_call(part)
        if found is not None:
            return found
    return None


def _put(args: dict[Any, Any], name: Any, value: str) -> None:
    if name in args:
        raise DecodeError("Multiple arguments with the same name are not supported.")
    args[name] = value


def _callee_name(src: str, callee: Node) -> str:
    if callee.kind == "member":
        obj, name = callee.parts[0], callee.parts[2]
        return f"{src[obj.start : obj.end]}.{src[name.start : name.end]}"
    return src[callee.start : callee.end]


def _strip_js_quotes(text: str) -> str:
    if (text.startswith('"') and text.endswith('"')) or (
        text.startswith("'") and text.endswith("'")
    ):
        return text[1:-1]
    return text


def decode_cstyle_calls(text: Any, lang: str) -> Any:
    """Decode a Java (``lang="java"``) or JavaScript answer as BFCL's prompt decoder does.

    Returns ``[{name: {param: source_text}}]``, or what BFCL returns when there is no call
    (``{}`` for Java, ``None`` for JavaScript), which the caller's format check rejects.

    Raises:
        DecodeError: the answer is not valid call syntax.
    """
    if not isinstance(text, str):
        raise DecodeError(f"model output is {type(text).__name__}, not text")
    result = text.strip("`\n ")
    if not result.startswith("["):
        result = "[" + result
    if not result.endswith("]"):
        result = result + "]"
    src = result[1:-1]
    if len(src) > MAX_SOURCE_CHARS:
        raise DecodeError(f"model output longer than {MAX_SOURCE_CHARS} characters")
    if "\x00" in src:
        raise DecodeError("NUL byte in model output")
    try:
        src.encode("utf-8")
    except UnicodeEncodeError:
        raise DecodeError("model output is not valid Unicode (lone surrogate)") from None
    try:
        statements = Parser(src, lang).program()
    except RecursionError:
        raise DecodeError("expression nested too deeply") from None
    if lang == "java":
        for stmt in statements:
            call = _first_call(stmt)
            if call is not None:
                return [{_callee_name(src, call.extra["callee"]): _java_args(src, call)}]
        return {}
    for stmt in statements:
        if stmt.kind == "call":
            return [
                {src[stmt.extra["callee"].start : stmt.extra["callee"].end]: _js_args(src, stmt)}
            ]
    return None


def _java_args(src: str, call: Node) -> dict[Any, Any]:
    args: dict[Any, Any] = {}
    for arg in call.extra["args"]:
        if arg.kind == "assign":
            left, right = arg.parts[0], arg.parts[2]
            _put(args, src[left.start : left.end], _java_text(src, right, False))
        elif arg.kind == "ident":
            _put(args, None, src[arg.start : arg.end])
    return args


def _js_args(src: str, call: Node) -> dict[Any, Any]:
    args: dict[Any, Any] = {}
    for arg in call.extra["args"]:
        if arg.kind == "assign":
            left, right = arg.parts[0], arg.parts[2]
            _put(args, src[left.start : left.end], _strip_js_quotes(src[right.start : right.end]))
        elif arg.kind == "ident" or (arg.kind == "literal" and src[arg.start : arg.end] == "true"):
            _put(args, None, src[arg.start : arg.end])
    return args
