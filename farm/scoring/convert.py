"""Java and JavaScript argument strings converted to Python values, as BFCL converts them.

A prompt-mode Java/JavaScript answer carries every argument as source text; BFCL converts
it with the parameter's original type. A string that does not match the type's pattern is
returned unchanged (and then fails the type check). The patterns, including the loose
ones, are BFCL 2026.3.23's.
"""

from __future__ import annotations

import re
from typing import Any

from farm.errors import ScoringError

JAVA_TYPES: dict[str, type] = {
    "byte": int,
    "short": int,
    "integer": int,
    "float": float,
    "double": float,
    "long": int,
    "boolean": bool,
    "char": str,
    "Array": list,
    "ArrayList": list,
    "Set": set,
    "HashMap": dict,
    "Hashtable": dict,
    "Queue": list,
    "Stack": list,
    "String": str,
    "any": str,
}
JS_TYPES: dict[str, type] = {
    "String": str,
    "integer": int,
    "float": float,
    "Bigint": int,
    "Boolean": bool,
    "dict": dict,
    "array": list,
    "any": str,
}

_INT = re.compile(r"^-?\d+$")
_JAVA_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?[fF]$")
_JAVA_DOUBLE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
_JAVA_LONG = re.compile(r"^-?\d+[lL]$")
_JAVA_CHAR = re.compile(r"^\'.$\'")  # BFCL's pattern; it can never match.
_AS_LIST = re.compile(r"new\s+ArrayList<\w*>\(Arrays\.asList\((.+?)\)\)")
_ADD_LIST = re.compile(r"new\s+ArrayList<\w*>\(\)\s*\{\{\s*(.+?)\s*\}\}", re.DOTALL)
_ADD = re.compile(r"add\((.+?)\)")
_EMPTY_LIST = re.compile(r"new\s+ArrayList<\w*>\(\)")
_ARRAY = re.compile(r"new\s+\w+\[\]\s*\{(.*?)\}")
_HASHMAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)\s*\{\s*\{?\s*(.*?)\s*\}?\s*\}", re.DOTALL)
_PUT = re.compile(r"put\(\"(.*?)\",\s*(.*?)\)")
_EMPTY_MAP = re.compile(r"new\s+HashMap<.*?>\s*\(\)")


def _int_or_float_or_text(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def java_to_python(value: str, type_name: str, item_type: str | None) -> Any:
    """Convert a Java argument string to Python by the declared Java type."""
    if type_name in ("byte", "short", "integer"):
        return int(value) if _INT.match(value) else value
    if type_name == "float":
        return float(value[:-1]) if _JAVA_FLOAT.match(value) else value
    if type_name == "double":
        return float(value) if _JAVA_DOUBLE.match(value) else value
    if type_name == "long":
        return int(value[:-1]) if _JAVA_LONG.match(value) else value
    if type_name == "boolean":
        return value == "true" if value in ("true", "false") else value
    if type_name == "char":
        return value  # BFCL's char pattern never matches: the text passes through.
    if type_name == "ArrayList":
        return _java_arraylist(value, item_type)
    if type_name == "Array":
        return _java_array(value, item_type)
    if type_name == "HashMap":
        return _java_hashmap(value)
    if type_name in ("String", "any"):
        return value
    raise ScoringError(f"conversion of Java type {type_name!r} is not supported")


def _java_item(text: str, item_type: str | None) -> Any:
    if item_type in ("char", "String"):
        return text[1:-1]
    return java_to_python(text, item_type, None) if item_type else java_value(text)


def _java_arraylist(text: str, item_type: str | None) -> Any:
    match = _AS_LIST.search(text)
    if match:
        return [_java_item(part.strip(), item_type) for part in match.group(1).split(",")]
    match = _ADD_LIST.search(text)
    if match:
        return [_java_item(m.strip(), item_type) for m in _ADD.findall(match.group(1))]
    if _EMPTY_LIST.search(text):
        return []
    return text


def _java_array(text: str, item_type: str | None) -> Any:
    match = _ARRAY.search(text)
    if not match:
        return text
    parts = [p.strip() for p in match.group(1).split(",") if p.strip()]
    if item_type:
        return [java_to_python(p, item_type, None) for p in parts]
    return [java_value(p) for p in parts]


def _java_hashmap(text: str) -> Any:
    match = _HASHMAP.search(text)
    if match:
        body = match.group(1)
        out: dict[str, Any] = {}
        if body.strip():
            for key, raw in _PUT.findall(body):
                out[key] = java_value(raw.strip())
        return out
    if _EMPTY_MAP.search(text):
        return {}
    return text


def java_value(text: str) -> Any:
    """Guess a Java literal's Python value (BFCL ``parse_java_value``)."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1]
    if _JAVA_LONG.match(text):
        return int(text[:-1])
    if _JAVA_FLOAT.match(text):
        return float(text[:-1])
    return _int_or_float_or_text(text)


# -- JavaScript --------------------------------------------------------------------

_JS_FLOAT = re.compile(r"^-?\d+(\.\d+)?$")
_JS_BIGINT = re.compile(r"^-?\d+n$")
_JS_ARRAY_2D = re.compile(
    r"\[\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\]|\bnew\s+Array\(\s*\[.*?\]\s*(,\s*\[.*?\]\s*)*\)"
)
_JS_ARRAY = re.compile(r"\[(.*?)\]|\bnew\s+Array\((.*?)\)")
_JS_INNER = re.compile(r"\[(.*?)\]")
_JS_DICT = re.compile(r"\{(.*?)\}")
_JS_PAIRS = re.compile(r"([^:]+):\s*(.*?)(?:,\s*(?=[^,]+:)|$)")


def _quoted(text: str) -> bool:
    return len(text) >= 1 and (
        (text.startswith('"') and text.endswith('"'))
        or (text.startswith("'") and text.endswith("'"))
    )


def js_to_python(value: str, type_name: str, item_type: str | None) -> Any:
    """Convert a JavaScript argument string to Python by the declared type."""
    if type_name == "String":
        return value[1:-1] if _quoted(value) else value
    if type_name == "integer":
        return int(value) if _INT.match(value) else value
    if type_name == "float":
        return float(value) if _JS_FLOAT.match(value) else value
    if type_name == "Bigint":
        return int(value[:-1]) if _JS_BIGINT.match(value) else value
    if type_name == "Boolean":
        return value == "true" if value in ("true", "false") else value
    if type_name == "dict":
        return _js_dict(value.strip())
    if type_name == "array":
        return _js_array(value.strip(), item_type)
    if type_name == "any":
        return value
    raise ScoringError(f"conversion of JavaScript type {type_name!r} is not supported")


def _js_array(code: str, item_type: str | None) -> Any:
    try:
        match2 = _JS_ARRAY_2D.match(code)
        if match2:
            rows = []
            for idx, inner in enumerate(_JS_INNER.findall(match2.group(0))):
                inner = inner.strip()
                if idx == 0 and inner.startswith("["):
                    inner = inner[1:]
                rows.append([js_value(e.strip()) for e in inner.split(",")])
            return rows
        match = _JS_ARRAY.match(code)
        if not match:
            return code
        body = match.group(1) if match.group(1) is not None else match.group(2)
        body = (body or "").strip()
        items = body.split(",") if body else []
        if item_type:
            return [js_to_python(e.strip(), item_type, None) for e in items]
        return [js_value(e.strip()) for e in items]
    except (ValueError, IndexError, ScoringError, RecursionError):
        return code


def _js_dict(code: str) -> Any:
    if code == "{}":
        return {}
    match = _JS_DICT.match(code)
    if not match:
        return code
    try:
        out: dict[str, Any] = {}
        for key, raw in _JS_PAIRS.findall(match.group(1)):
            key = key.strip().strip("'\"")
            raw = raw.strip()
            if raw.startswith("[") and raw.endswith("]"):
                out[key] = _js_array(raw, None)
            elif raw.startswith("{") and raw.endswith("}"):
                out[key] = _js_dict(raw)
            else:
                out[key] = js_value(raw.strip("'\""))
        return out
    except (ValueError, IndexError, RecursionError):
        return code


def js_value(text: str) -> Any:
    """Guess a JavaScript literal's Python value (BFCL ``parse_js_value``)."""
    text = text.strip()
    if text == "true":
        return True
    if text == "false":
        return False
    if _quoted(text):
        return text[1:-1]
    return _int_or_float_or_text(text)
