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

Anything outside the grammar is a :class:`~farm.scoring.pydecode.DecodeError`, as a
tree-sitter ``ERROR`` node is for BFCL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from farm.scoring.pydecode import MAX_DEPTH, MAX_SOURCE_CHARS, DecodeError

_TOKEN = re.compile(
    r"""(?P<ws>\s+|//[^\n]*|/\*.*?\*/)
    |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)
    |(?P<number>(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[a-zA-Z]*)
    |(?P<ident>[A-Za-z_$][\w$]*)
    |(?P<op>===|!==|\.\.\.|=>|==|!=|<=|&&|\|\||\?\?|\*\*|\+\+|--|::|[-+*/%=<>!~?:.,;()\[\]{}&|^@])
    """,
    re.VERBOSE | re.DOTALL,
)

_BINARY: dict[str, int] = {
    "||": 1, "??": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "===": 6, "!==": 6,
    "<": 7, ">": 7, "<=": 7, ">=": 7, "instanceof": 7, "in": 7,
    "+": 8, "-": 8, "*": 9, "/": 9, "%": 9, "**": 10,
}  # fmt: skip
_PREFIX = {"-", "+", "!", "~", "++", "--", "typeof", "void", "delete"}
_LITERALS = {"true", "false", "null", "this", "undefined"}


@dataclass
class Tok:
    """One token: its kind, text, span and whether a newline precedes it."""

    kind: str
    text: str
    start: int
    end: int
    newline: bool = False


@dataclass
class Node:
    """A parsed expression: kind, span, and its parts (tokens and child nodes in order)."""

    kind: str
    start: int
    end: int
    parts: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    depth: int = 1


def tokenize(src: str) -> list[Tok]:
    """Split source into tokens; an unknown character is a decoding failure."""
    toks: list[Tok] = []
    pos, newline = 0, False
    while pos < len(src):
        match = _TOKEN.match(src, pos)
        if match is None:
            raise DecodeError(f"unexpected character {src[pos]!r} at {pos}")
        kind = match.lastgroup or "op"
        if kind == "ws":
            newline = newline or "\n" in match.group()
        else:
            toks.append(Tok(kind, match.group(), match.start(), match.end(), newline))
            newline = False
        pos = match.end()
    return toks


class _Parser:
    def __init__(self, src: str, lang: str) -> None:
        self.src, self.lang = src, lang
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0

    # -- helpers
    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def at(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text and tok.kind in ("op", "ident")

    def take(self, text: str | None = None) -> Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text != text):
            want = text or "a token"
            raise DecodeError(f"expected {want}, got {tok.text if tok else 'end of input'}")
        self.i += 1
        return tok

    def node(self, kind: str, parts: list[Any], **extra: Any) -> Node:
        depth = 1 + max((p.depth for p in parts if isinstance(p, Node)), default=0)
        if depth > MAX_DEPTH:
            raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
        return Node(kind, parts[0].start, parts[-1].end, parts, extra, depth)

    # -- program
    def program(self) -> list[Node]:
        stmts: list[Node] = []
        while self.peek() is not None:
            if self.at(";"):
                self.take()
                continue
            expr = self.expression(allow_sequence=self.lang == "javascript")
            stmts.append(expr)
            nxt = self.peek()
            if nxt is None:
                break
            if nxt.text == ";":
                self.take()
            elif not nxt.newline:
                raise DecodeError(f"unexpected {nxt.text!r} after expression")
        return stmts

    def expression(self, allow_sequence: bool = False) -> Node:
        first = self.assignment()
        if not (allow_sequence and self.at(",")):
            return first
        parts: list[Any] = [first]
        while self.at(","):
            parts.append(self.take())
            parts.append(self.assignment())
        return self.node("sequence", parts)

    def assignment(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
        try:
            left = self.binary(0)
            if self.at("?"):
                q = self.take()
                yes = self.assignment()
                colon = self.take(":")
                no = self.assignment()
                left = self.node("ternary", [left, q, yes, colon, no])
            if self.at("="):
                eq = self.take()
                right = self.assignment()
                return self.node("assign", [left, eq, right])
            return left
        finally:
            self.depth -= 1

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None:
                return left
            op = tok.text
            if op == ">" and self.peek(1) is not None and self.peek(1).text == "=":  # type: ignore[union-attr]
                op = ">="
            prec = _BINARY.get(op)
            if prec is None or prec <= min_prec or tok.kind not in ("op", "ident"):
                return left
            ops = [self.take()]
            if op == ">=":
                ops.append(self.take())
            right = self.binary(prec)
            left = self.node("binary", [left, *ops, right])

    def unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.text in _PREFIX and tok.kind in ("op", "ident"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return self.node("unary", [tok, operand])
        return self.postfix(self.primary())

    def postfix(self, expr: Node) -> Node:
        while True:
            if self.at("("):
                args, parts = self.arguments()
                expr = self.node("call", [expr, *parts], args=args, callee=expr)
            elif self.at("."):
                dot = self.take()
                name = self.take()
                if name.kind != "ident":
                    raise DecodeError(f"expected a member name, got {name.text!r}")
                expr = self.node("member", [expr, dot, Node("ident", name.start, name.end, [name])])
            elif self.at("[") and self.lang == "javascript":
                open_ = self.take()
                index = self.expression(allow_sequence=True)
                close = self.take("]")
                expr = self.node("subscript", [expr, open_, index, close])
            else:
                return expr

    def arguments(self) -> tuple[list[Node], list[Any]]:
        parts: list[Any] = [self.take("(")]
        args: list[Node] = []
        while not self.at(")"):
            arg = self.assignment()
            args.append(arg)
            parts.append(arg)
            if not self.at(","):
                break
            parts.append(self.take(","))
        parts.append(self.take(")"))
        return args, parts

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise DecodeError("unexpected end of input")
        if tok.kind in ("number", "string"):
            self.take()
            kind = "char" if tok.text.startswith("'") and self.lang == "java" else tok.kind
            if tok.text.startswith("`") and self.lang == "java":
                raise DecodeError("template literal in Java")
            return Node(kind, tok.start, tok.end, [tok])
        if tok.kind == "ident":
            if tok.text == "new":
                return self.new_expression()
            self.take()
            kind = "literal" if tok.text in _LITERALS else "ident"
            return Node(kind, tok.start, tok.end, [tok])
        if tok.text == "(":
            open_ = self.take()
            inner = self.expression(allow_sequence=self.lang == "javascript")
            return self.node("paren", [open_, inner, self.take(")")])
        if tok.text == "[" and self.lang == "javascript":
            return self.bracketed("[", "]", "array")
        if tok.text == "{" and self.lang == "javascript":
            return self.js_object()
        raise DecodeError(f"unexpected {tok.text!r}")

    def bracketed(self, open_text: str, close_text: str, kind: str) -> Node:
        parts: list[Any] = [self.take(open_text)]
        while not self.at(close_text):
            if self.lang == "java" and self.at("{"):
                parts.append(self.bracketed("{", "}", "array_init"))
            else:
                parts.append(self.assignment())
            if not self.at(","):
                break
            parts.append(self.take(","))
        parts.append(self.take(close_text))
        return self.node(kind, parts)

    def js_object(self) -> Node:
        parts: list[Any] = [self.take("{")]
        while not self.at("}"):
            key = self.take()
            if key.kind not in ("ident", "string", "number"):
                raise DecodeError(f"bad object key {key.text!r}")
            parts.append(Node("key", key.start, key.end, [key]))
            if self.at(":"):
                parts.append(self.take(":"))
                parts.append(self.assignment())
            if not self.at(","):
                break
            parts.append(self.take(","))
        parts.append(self.take("}"))
        return self.node("object", parts)

    def type_name(self) -> Node:
        parts: list[Any] = []
        name = self.take()
        if name.kind != "ident":
            raise DecodeError(f"expected a type name, got {name.text!r}")
        parts.append(name)
        while self.at(".") and self.peek(1) is not None and self.peek(1).kind == "ident":  # type: ignore[union-attr]
            parts.extend([self.take(), self.take()])
        if self.at("<"):
            parts.append(self.take("<"))
            while not self.at(">"):
                parts.append(
                    self.at("?") and Node("ident", *_span(self.take())) or self.type_name()
                )
                if not self.at(","):
                    break
                parts.append(self.take(","))
            parts.append(self.take(">"))
        kind = "type" if len(parts) > 1 else "ident"
        return self.node(kind, parts)

    def new_expression(self) -> Node:
        new = self.take("new")
        if self.lang == "javascript":
            callee = self.primary()
            while self.at("."):
                dot = self.take()
                name = self.take()
                callee = self.node("member", [callee, dot, Node("ident", *_span(name), [name])])
            parts: list[Any] = [new, callee]
            if self.at("("):
                _args, arg_parts = self.arguments()
                parts.extend(arg_parts)
            return self.node("new_obj", parts)
        type_node = self.type_name()
        if self.at("["):
            dims: list[Any] = []
            while self.at("["):
                dims.append(self.take("["))
                if not self.at("]"):
                    raise DecodeError("sized array creation has no initializer")
                dims.append(self.take("]"))
            init = self.bracketed("{", "}", "array_init")
            return self.node("new_array", [new, type_node, *dims, init], type=type_node, init=init)
        args, arg_parts = self.arguments()
        parts = [new, type_node, *arg_parts]
        if self.at("{"):
            parts.append(self.skip_block())
        return self.node("new_obj", parts, type=type_node, args=args)

    def skip_block(self) -> Tok:
        open_ = self.take("{")
        level = 1
        while level:
            tok = self.take()
            level += {"{": 1, "}": -1}.get(tok.text, 0) if tok.kind == "op" else 0
        return Tok("block", self.src[open_.start : tok.end], open_.start, tok.end)


def _span(tok: Tok) -> tuple[int, int]:
    return tok.start, tok.end


def _java_text(src: str, part: Any, nested: bool) -> str:
    if isinstance(part, Tok):
        return part.text
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
        statements = _Parser(src, lang).program()
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
