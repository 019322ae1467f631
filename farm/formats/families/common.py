"""Shared pieces of the family decoders: input guards, bounded JSON, literal-only values.

Every decoder works on model output, which is hostile input: text is length-checked
against :data:`farm.formats.pydecode.MAX_SOURCE_CHARS` before any parsing, JSON is read with
:mod:`json` (nesting bounded by Python's recursion limit, caught), and parameter text of the
XML-ish formats is converted with :func:`json.loads` or :func:`ast.literal_eval` only.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

from farm.formats.pydecode import MAX_SOURCE_CHARS, DecodeError

#: A decoded call list: BFCL's ``[{name: {param: value}}]``.
Calls = list[dict[str, Any]]
#: Function docs (BFCL's ``function`` list) a decoder may read parameter types from.
Docs = Sequence[Mapping[str, Any]] | None


class FamilyDecodeError(DecodeError):
    """The reply text is not in the family's call syntax (scored ``decoder_failed``)."""


def require_text(raw: Any, family: str) -> str:
    """``raw`` as text, bounded in size.

    Raises:
        FamilyDecodeError: not a string, or longer than ``MAX_SOURCE_CHARS``.
    """
    if not isinstance(raw, str):
        raise FamilyDecodeError(f"{family}: model output is {type(raw).__name__}, not text")
    if len(raw) > MAX_SOURCE_CHARS:
        raise FamilyDecodeError(f"{family}: model output longer than {MAX_SOURCE_CHARS} chars")
    return raw


def loads(text: str, what: str) -> Any:
    """``json.loads`` with every failure (syntax, depth, size) as a FamilyDecodeError."""
    if len(text) > MAX_SOURCE_CHARS:
        raise FamilyDecodeError(f"{what}: longer than {MAX_SOURCE_CHARS} characters")
    try:
        return json.loads(text)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise FamilyDecodeError(f"{what}: invalid JSON: {exc}"[:300]) from None


def literal(text: str) -> Any:
    """A Python literal (``ast.literal_eval``: no names, no calls), or raise ValueError."""
    if len(text) > MAX_SOURCE_CHARS:
        raise ValueError("literal too long")
    try:
        return ast.literal_eval(text)
    except (SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(str(exc)) from None


def param_types(docs: Docs, name: str) -> dict[str, str]:
    """``{param: json-schema type}`` of function ``name`` in ``docs`` (empty if unknown).

    BFCL's ``dict`` type is JSON Schema's ``object``; FC tool names have ``.`` as ``_``.
    """
    for doc in docs or ():
        doc_name = str(doc.get("name", ""))
        if name in (doc_name, doc_name.replace(".", "_")):
            params = doc.get("parameters")
            props = params.get("properties") if isinstance(params, Mapping) else None
            if not isinstance(props, Mapping):
                return {}
            return {
                str(k): str(v.get("type", "")) if isinstance(v, Mapping) else ""
                for k, v in props.items()
            }
    return {}


def convert_param(text: str, schema_type: str) -> Any:
    """Parameter text of an XML-ish format as a value, literal-only.

    As the families' server parsers do: a ``string`` parameter keeps its text; ``integer``
    and ``number`` parse as numbers; ``boolean`` as ``true``/``false``; anything else (objects,
    arrays, unknown types) as JSON, then as a Python literal, else the text itself.
    """
    kind = schema_type.lower()
    if kind in ("string", "str", "char", "enum"):
        return text
    stripped = text.strip()
    if kind in ("integer", "int", "long"):
        try:
            return int(stripped)
        except ValueError:
            return text
    if kind in ("number", "float", "double"):
        try:
            number = float(stripped)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in stripped else number
    if kind in ("boolean", "bool"):
        low = stripped.lower()
        return {"true": True, "false": False}.get(low, text)
    if kind == "null" and stripped.lower() in ("null", "none"):
        return None
    try:
        return json.loads(stripped)
    except (ValueError, RecursionError, MemoryError):
        pass
    try:
        return literal(stripped)
    except ValueError:
        return text


def name_and_arguments(item: Any, keys: tuple[str, ...], family: str) -> dict[str, Any]:
    """``{name: arguments}`` from a ``{"name": ..., key: {...}}`` object (first key found).

    Raises:
        FamilyDecodeError: not an object, or no name or no arguments key.
    """
    if not isinstance(item, dict):
        raise FamilyDecodeError(f"{family}: call is {type(item).__name__}, not an object")
    name = item.get("name")
    if not isinstance(name, str):
        raise FamilyDecodeError(f"{family}: call without a string 'name'")
    for key in keys:
        if key in item:
            return {name: item[key]}
    raise FamilyDecodeError(f"{family}: call {name!r} has no {' or '.join(map(repr, keys))}")
