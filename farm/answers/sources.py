"""Java and JavaScript argument values as source text, the way BFCL's checker reads them.

BFCL shows Java and JavaScript parameters to the model as strings and converts the model's
text back with its type converters: ``3000L`` for a long, ``1.5f`` for a float,
``new ArrayList<>(Arrays.asList(...))``, ``new int[]{...}``,
``new HashMap<String, Object>() {{ put("k", v); }}``; JavaScript arrays and objects as
literals. Ground truths hold the Python values; these functions render them.
"""

from __future__ import annotations

import json
from typing import Any

_JAVA_ARRAY_ELEMENT = {
    "String": "String",
    "string": "String",
    "integer": "int",
    "int": "int",
    "long": "long",
    "short": "short",
    "byte": "byte",
    "float": "float",
    "double": "double",
    "boolean": "boolean",
    "char": "char",
}


def _java_scalar(value: Any, type_name: str, *, quote: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        suffix = {"long": "L", "float": "f"}.get(type_name, "")
        return f"{value}{suffix}"
    if isinstance(value, str):
        return json.dumps(value) if quote else value
    return json.dumps(value)


def java_source(value: Any, doc: dict[str, Any], *, quote_strings: bool) -> str:
    """A Java literal for ``value`` of the parameter described by ``doc``.

    ``quote_strings``: whether a top-level string is written with quotes (prompt mode,
    where the parser strips them) or as it is (FC mode, where the value is the text).
    """
    type_name = str(doc.get("type", ""))
    item_type = str((doc.get("items") or {}).get("type", ""))
    if isinstance(value, dict) and type_name == "HashMap":
        puts = " ".join(
            f"put({json.dumps(str(k))}, {_java_scalar(v, '', quote=True)});"
            for k, v in value.items()
        )
        return f"new HashMap<String, Object>() {{{{ {puts} }}}}"
    if isinstance(value, list) and type_name == "Array":
        element = _JAVA_ARRAY_ELEMENT.get(item_type, "Object")
        items = ", ".join(_java_scalar(v, item_type, quote=False) for v in value)
        return f"new {element}[]{{{items}}}"
    if isinstance(value, list) and type_name == "ArrayList":
        items = ", ".join(_java_scalar(v, item_type, quote=True) for v in value)
        return f"new ArrayList<>(Arrays.asList({items}))"
    return _java_scalar(value, type_name, quote=quote_strings)


def javascript_source(value: Any, doc: dict[str, Any], *, quote_strings: bool) -> str:
    """A JavaScript literal for ``value`` (see :func:`java_source` for ``quote_strings``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if quote_strings else value
    return json.dumps(value)


def source_arguments(
    args: dict[str, Any], docs: dict[str, Any], language: str, *, quote_strings: bool
) -> dict[str, str]:
    """Every argument as source text of ``language`` (``java`` or ``javascript``)."""
    render = java_source if language == "java" else javascript_source
    return {
        key: render(value, docs.get(key) or {}, quote_strings=quote_strings)
        for key, value in args.items()
    }
