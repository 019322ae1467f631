"""Decode prompt-mode replies in each of BFCL's return formats, with or without ``<TOOLCALL>``.

Source of the facts: bfcl-eval 2026.3.23, ``model_handler/utils.py``
(``default_decode_ast_prompting``, ``ast_parse``) and ``model_handler/parser/``
(``json_parser.py``, ``xml_parser.py``). The order matters and is BFCL's:

1. strip backticks, newlines and spaces from both ends, then wrap the text in ``[...]``
   unless it already starts with ``[`` / ends with ``]`` (before any tag search);
2. with a tool-call tag, keep only the first ``<TOOLCALL>...</TOOLCALL>`` body, stripped
   (no tag: a decoding failure);
3. parse in the return format:

   - ``python``: :func:`farm.formats.pydecode.parse_python_calls`;
   - ``json``: the greedy ``[...]`` span, then the first ``[{...}, ...]`` span in it; text
     that is not JSON decodes to ``[]`` (no call, **not** a failure); each object of the
     list needs ``function`` and ``parameters`` keys (a missing one is a failure), items
     that are not objects are skipped, a JSON value that is not iterable is a failure;
   - ``verbose_xml``/``concise_xml``: the first ``<functions>...</functions>`` span parsed
     as XML (with defusedxml: no DTD can precede ``<functions>``, so nothing BFCL accepts
     is refused); each ``function`` child needs a ``name`` attribute; parameters are the
     ``param`` children of the first ``params`` child or, without one, of the function
     (verbose: ``value`` attribute, default ``""``; concise: the element's leading text,
     stripped); values convert by their ``type`` attribute (default ``string``) as
     :func:`convert_value_by_type` documents.

Every exception BFCL's decoder raises is a :class:`DecodeError` here (BFCL:
``ast_decoder:decoder_failed``); a decoded value that is not a call list is returned as it
is for the scorer's format check (``ast_decoder:decoder_wrong_output_format``).
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from typing import Any

from defusedxml import ElementTree as SafeElementTree

from farm.formats.pydecode import MAX_SOURCE_CHARS, DecodeError, parse_python_calls

#: The return formats of BFCL's prompt configurations (``ret_fmt``).
RETURN_FORMATS: tuple[str, ...] = ("python", "json", "verbose_xml", "concise_xml")

#: BFCL's pattern for the list of call objects; :func:`json_calls_span` finds its match
#: in linear time (the pattern itself backtracks exponentially on ``[{}, {}, ..., x]``).
JSON_CALLS_PATTERN = r"\[\s*{.*?}\s*(?:,\s*{.*?}\s*)*\]"
_CLOSE = re.compile("}")


def decode_prompt_calls(
    text: Any, return_format: str = "python", tool_call_tag: bool = False
) -> Any:
    """BFCL's ``default_decode_ast_prompting`` for ``return_format`` and the tag setting.

    Returns:
        ``[{name: {param: value}}]`` for well-formed output; for JSON, ``[]`` when the text
        is not JSON. Values are Python literals only (nothing is evaluated).

    Raises:
        DecodeError: wherever BFCL's decoder raises (no tag, no ``<functions>``, bad XML or
            Python syntax, a missing ``function``/``parameters``/``name``, a value that
            does not convert to its declared type, output over the size cap).
        ValueError: an unknown return format (a programming error, not model output).
    """
    if return_format not in RETURN_FORMATS:
        raise ValueError(f"unknown return format {return_format!r}")
    if not isinstance(text, str):
        raise DecodeError(f"model output is {type(text).__name__}, not text")
    if len(text) > MAX_SOURCE_CHARS:
        raise DecodeError(f"model output longer than {MAX_SOURCE_CHARS} characters")
    result = text.strip("`\n ")
    if not result.startswith("["):
        result = "[" + result
    if not result.endswith("]"):
        result = result + "]"
    if tool_call_tag:
        body = _between(result, "<TOOLCALL>", "</TOOLCALL>")
        if body is None:
            raise DecodeError("No tool call tag found in input string")
        result = body.strip()
    if return_format == "python":
        return parse_python_calls(result)
    if return_format == "json":
        first, last = result.find("["), result.rfind("]")  # BFCL: the greedy r"\[.*\]"
        return _json_calls(result[first : last + 1] if 0 <= first < last else result)
    body = _between(result, "<functions>", "</functions>")
    if body is None:
        raise DecodeError("No XML function call found in input string. Missing <functions> tag.")
    return _xml_calls(f"<functions>{body}</functions>", verbose=return_format == "verbose_xml")


def _between(text: str, opening: str, closing: str) -> str | None:
    """The text of the lazy ``opening(.*?)closing`` search (DOTALL), in linear time."""
    start = text.find(opening)
    if start < 0:
        return None
    end = text.find(closing, start + len(opening))
    return None if end < 0 else text[start + len(opening) : end]


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():  # what re's \s matches in a str pattern
        at += 1
    return at


def json_calls_span(text: str) -> str | None:
    """The match of :data:`JSON_CALLS_PATTERN` (``re.search``, DOTALL) in ``text``, or ``None``.

    The regex engine tries the lazy ``.*?}`` ends in order and each ``(?:,...)`` iteration
    before stopping; whether a try from a ``}`` succeeds depends only on what follows it,
    so the first success from each ``}`` is computed once, right to left.
    """
    closes = [m.start() for m in _CLOSE.finditer(text)]
    first_end: list[int | None] = [None] * (len(closes) + 1)  # trying closes k, k+1, ...
    for k in range(len(closes) - 1, -1, -1):
        after = _skip_space(text, closes[k] + 1)
        end: int | None = None
        if after < len(text) and text[after] == ",":
            brace = _skip_space(text, after + 1)
            if brace < len(text) and text[brace] == "{":
                end = first_end[bisect.bisect_left(closes, brace + 1)]
        if end is None and after < len(text) and text[after] == "]":
            end = after + 1
        first_end[k] = end if end is not None else first_end[k + 1]
    start = text.find("[")
    while start >= 0:
        brace = _skip_space(text, start + 1)
        if brace < len(text) and text[brace] == "{":
            end = first_end[bisect.bisect_left(closes, brace + 1)]
            if end is not None:
                return text[start:end]
        start = text.find("[", start + 1)
    return None


def _json_calls(source: str) -> list[dict[Any, Any]]:
    span = json_calls_span(source)
    if span is not None:
        source = span
    try:
        value = json.loads(source)
    except json.JSONDecodeError:
        return []
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. an over-long integer
        raise DecodeError(f"{type(exc).__name__}: {exc}"[:300]) from None
    calls: list[dict[Any, Any]] = []
    try:
        for item in value:
            if isinstance(item, dict):
                calls.append({item["function"]: item["parameters"]})
    except (KeyError, TypeError) as exc:
        raise DecodeError(f"{type(exc).__name__}: {exc}"[:300]) from None
    return calls


def convert_value_by_type(raw: str, type_name: str) -> Any:
    """An XML parameter's text as its declared ``type`` (BFCL's ``convert_value_by_type``).

    ``string`` and unknown types: the text; ``integer``: ``int``; ``float``: ``float``;
    ``boolean``: whether the text lower-cased is ``true``; ``null``: ``None``; ``array``,
    ``tuple``, ``object`` and ``dict``: a Python literal (:func:`ast.literal_eval`).

    Raises:
        ValueError, SyntaxError, TypeError, MemoryError, RecursionError: the text does not
            convert (the caller reports a decoding failure).
    """
    if type_name == "integer":
        return int(raw)
    if type_name == "float":
        return float(raw)
    if type_name == "boolean":
        return raw.lower() == "true"
    if type_name == "null":
        return None
    if type_name in ("array", "tuple", "object", "dict"):
        return ast.literal_eval(raw)
    return raw


def _xml_calls(source: str, *, verbose: bool) -> list[dict[Any, Any]]:
    try:
        root = SafeElementTree.fromstring(source)
        calls: list[dict[Any, Any]] = []
        for function in root.findall("function"):
            name = function.attrib["name"]
            params: dict[Any, Any] = {}
            if verbose:
                container = function.find("params")
                holder = container if container is not None else function
                for param in holder.findall("param"):
                    raw = param.attrib.get("value", "")
                    kind = param.attrib.get("type", "string")
                    params[param.attrib.get("name")] = convert_value_by_type(raw, kind)
            else:
                for param in function.findall("param"):
                    key = param.attrib["name"]
                    kind = param.attrib.get("type", "string")
                    params[key] = convert_value_by_type((param.text or "").strip(), kind)
            calls.append({name: params})
    except Exception as exc:  # BFCL reports any exception of its XML decoder as a failure
        raise DecodeError(f"{type(exc).__name__}: {exc}"[:300]) from None
    return calls
