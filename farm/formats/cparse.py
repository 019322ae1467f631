"""A small parser for the Java and JavaScript expressions models write as call arguments.

It tokenizes the source and builds :class:`Node` trees (kind, span, parts) that keep every
token, so a caller can render a value either from its tokens or from its exact source
text. It covers literals, names, member access, calls, ``new`` expressions (Java arrays
with initializers and object creation with an optional class body, JavaScript
constructors), JavaScript arrays and objects, unary, binary, ternary and assignment
expressions, and statements separated by ``;`` or newlines. Anything else, and nesting
deeper than :data:`~farm.formats.pydecode.MAX_DEPTH`, is a
:class:`~farm.formats.pydecode.DecodeError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from farm.formats.pydecode import MAX_DEPTH, DecodeError

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


class Parser:
    """Recursive-descent parser of one Java or JavaScript source string."""

    def __init__(self, src: str, lang: str) -> None:
        self.src, self.lang = src, lang
        self.toks = tokenize(src)
        self.i = 0
        self.depth = 0

    # -- helpers
    def _peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def _at(self, text: str) -> bool:
        tok = self._peek()
        return tok is not None and tok.text == text and tok.kind in ("op", "ident")

    def _take(self, text: str | None = None) -> Tok:
        tok = self._peek()
        if tok is None or (text is not None and tok.text != text):
            want = text or "a token"
            raise DecodeError(f"expected {want}, got {tok.text if tok else 'end of input'}")
        self.i += 1
        return tok

    def _node(self, kind: str, parts: list[Any], **extra: Any) -> Node:
        depth = 1 + max((p.depth for p in parts if isinstance(p, Node)), default=0)
        if depth > MAX_DEPTH:
            raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
        return Node(kind, parts[0].start, parts[-1].end, parts, extra, depth)

    # -- program
    def program(self) -> list[Node]:
        """Parse the whole source into its expression statements."""
        stmts: list[Node] = []
        while self._peek() is not None:
            if self._at(";"):
                self._take()
                continue
            expr = self._expression(allow_sequence=self.lang == "javascript")
            stmts.append(expr)
            nxt = self._peek()
            if nxt is None:
                break
            if nxt.text == ";":
                self._take()
            elif not nxt.newline:
                raise DecodeError(f"unexpected {nxt.text!r} after expression")
        return stmts

    def _expression(self, allow_sequence: bool = False) -> Node:
        first = self._assignment()
        if not (allow_sequence and self._at(",")):
            return first
        parts: list[Any] = [first]
        while self._at(","):
            parts.append(self._take())
            parts.append(self._assignment())
        return self._node("sequence", parts)

    def _assignment(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
        try:
            left = self._binary(0)
            if self._at("?"):
                q = self._take()
                yes = self._assignment()
                colon = self._take(":")
                no = self._assignment()
                left = self._node("ternary", [left, q, yes, colon, no])
            if self._at("="):
                eq = self._take()
                right = self._assignment()
                return self._node("assign", [left, eq, right])
            return left
        finally:
            self.depth -= 1

    def _binary(self, min_prec: int) -> Node:
        left = self._unary()
        while True:
            tok = self._peek()
            if tok is None:
                return left
            op = tok.text
            if op == ">" and self._peek(1) is not None and self._peek(1).text == "=":  # type: ignore[union-attr]
                op = ">="
            prec = _BINARY.get(op)
            if prec is None or prec <= min_prec or tok.kind not in ("op", "ident"):
                return left
            ops = [self._take()]
            if op == ">=":
                ops.append(self._take())
            right = self._binary(prec)
            left = self._node("binary", [left, *ops, right])

    def _unary(self) -> Node:
        tok = self._peek()
        if tok is not None and tok.text in _PREFIX and tok.kind in ("op", "ident"):
            self._take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise DecodeError(f"expression nested deeper than {MAX_DEPTH} levels")
            try:
                operand = self._unary()
            finally:
                self.depth -= 1
            return self._node("unary", [tok, operand])
        return self._postfix(self._primary())

    def _postfix(self, expr: Node) -> Node:
        while True:
            if self._at("("):
                args, parts = self._arguments()
                expr = self._node("call", [expr, *parts], args=args, callee=expr)
            elif self._at("."):
                dot = self._take()
                name = self._take()
                if name.kind != "ident":
                    raise DecodeError(f"expected a member name, got {name.text!r}")
                expr = self._node(
                    "member", [expr, dot, Node("ident", name.start, name.end, [name])]
                )
            elif self._at("[") and self.lang == "javascript":
                open_ = self._take()
                index = self._expression(allow_sequence=True)
                close = self._take("]")
                expr = self._node("subscript", [expr, open_, index, close])
            else:
                return expr

    def _arguments(self) -> tuple[list[Node], list[Any]]:
        parts: list[Any] = [self._take("(")]
        args: list[Node] = []
        while not self._at(")"):
            arg = self._assignment()
            args.append(arg)
            parts.append(arg)
            if not self._at(","):
                break
            parts.append(self._take(","))
        parts.append(self._take(")"))
        return args, parts

    def _primary(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise DecodeError("unexpected end of input")
        if tok.kind in ("number", "string"):
            self._take()
            kind = "char" if tok.text.startswith("'") and self.lang == "java" else tok.kind
            if tok.text.startswith("`") and self.lang == "java":
                raise DecodeError("template literal in Java")
            return Node(kind, tok.start, tok.end, [tok])
        if tok.kind == "ident":
            if tok.text == "new":
                return self._new_expression()
            self._take()
            kind = "literal" if tok.text in _LITERALS else "ident"
            return Node(kind, tok.start, tok.end, [tok])
        if tok.text == "(":
            open_ = self._take()
            inner = self._expression(allow_sequence=self.lang == "javascript")
            return self._node("paren", [open_, inner, self._take(")")])
        if tok.text == "[" and self.lang == "javascript":
            return self._bracketed("[", "]", "array")
        if tok.text == "{" and self.lang == "javascript":
            return self._js_object()
        raise DecodeError(f"unexpected {tok.text!r}")

    def _bracketed(self, open_text: str, close_text: str, kind: str) -> Node:
        parts: list[Any] = [self._take(open_text)]
        while not self._at(close_text):
            if self.lang == "java" and self._at("{"):
                parts.append(self._bracketed("{", "}", "array_init"))
            else:
                parts.append(self._assignment())
            if not self._at(","):
                break
            parts.append(self._take(","))
        parts.append(self._take(close_text))
        return self._node(kind, parts)

    def _js_object(self) -> Node:
        parts: list[Any] = [self._take("{")]
        while not self._at("}"):
            key = self._take()
            if key.kind not in ("ident", "string", "number"):
                raise DecodeError(f"bad object key {key.text!r}")
            parts.append(Node("key", key.start, key.end, [key]))
            if self._at(":"):
                parts.append(self._take(":"))
                parts.append(self._assignment())
            if not self._at(","):
                break
            parts.append(self._take(","))
        parts.append(self._take("}"))
        return self._node("object", parts)

    def _type_name(self) -> Node:
        parts: list[Any] = []
        name = self._take()
        if name.kind != "ident":
            raise DecodeError(f"expected a type name, got {name.text!r}")
        parts.append(name)
        while self._at(".") and self._peek(1) is not None and self._peek(1).kind == "ident":  # type: ignore[union-attr]
            parts.extend([self._take(), self._take()])
        if self._at("<"):
            parts.append(self._take("<"))
            while not self._at(">"):
                parts.append(
                    self._at("?") and Node("ident", *_span(self._take())) or self._type_name()
                )
                if not self._at(","):
                    break
                parts.append(self._take(","))
            parts.append(self._take(">"))
        kind = "type" if len(parts) > 1 else "ident"
        return self._node(kind, parts)

    def _new_expression(self) -> Node:
        new = self._take("new")
        if self.lang == "javascript":
            callee = self._primary()
            while self._at("."):
                dot = self._take()
                name = self._take()
                callee = self._node("member", [callee, dot, Node("ident", *_span(name), [name])])
            parts: list[Any] = [new, callee]
            if self._at("("):
                _args, arg_parts = self._arguments()
                parts.extend(arg_parts)
            return self._node("new_obj", parts)
        type_node = self._type_name()
        if self._at("["):
            dims: list[Any] = []
            while self._at("["):
                dims.append(self._take("["))
                if not self._at("]"):
                    raise DecodeError("sized array creation has no initializer")
                dims.append(self._take("]"))
            init = self._bracketed("{", "}", "array_init")
            return self._node("new_array", [new, type_node, *dims, init], type=type_node, init=init)
        args, arg_parts = self._arguments()
        parts = [new, type_node, *arg_parts]
        if self._at("{"):
            parts.append(self._skip_block())
        return self._node("new_obj", parts, type=type_node, args=args)

    def _skip_block(self) -> Tok:
        open_ = self._take("{")
        level = 1
        while level:
            tok = self._take()
            level += {"{": 1, "}": -1}.get(tok.text, 0) if tok.kind == "op" else 0
        return Tok("block", self.src[open_.start : tok.end], open_.start, tok.end)


def _span(tok: Tok) -> tuple[int, int]:
    return tok.start, tok.end
