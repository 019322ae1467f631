"""Function docs as BFCL's prompt-mode system prompt shows them: JSON, XML or Python.

Source of the facts: ``bfcl_eval/model_handler/utils.py`` of bfcl-eval 2026.3.23
(``format_function_doc`` and its XML and Python renderers), reproduced byte for byte,
quirks included:

- XML: every comma inside a ``<param ...>`` opening tag is dropped (BFCL builds the tag
  with ``", "`` separators and then deletes all commas, so a default of ``[1, 2]`` shows as
  ``default="[1 2]"``); a parameter is ``required="true"`` when its schema has no
  ``required`` list at all; nested ``properties`` indent by four more spaces per level.
- Python: a docstring block per function, ``Args:`` only when there are properties, nested
  properties four spaces deeper; each block and a newline after it are joined with blank
  lines (so blocks are five newlines apart and the text ends in four).
- Both append `` Enum values: [...]`` (the list's ``str``) to a description.
"""

from __future__ import annotations

import json
from typing import Any

from farm.errors import ConfigError

#: The function-doc formats of BFCL's configurations.
DOC_FORMATS: tuple[str, ...] = ("python", "xml", "json")


def function_doc(functions: list[dict[str, Any]], doc_format: str) -> str:
    """``functions`` (BFCL docs with language hints) rendered in ``doc_format``.

    Raises:
        ConfigError: an unknown format, or a doc BFCL's renderer itself would fail on
            (a function without ``name``, an XML doc without ``parameters``).
    """
    if doc_format == "json":
        return json.dumps(functions, indent=4)
    try:
        if doc_format == "xml":
            return "\n".join(_xml_function(fn) for fn in functions)
        if doc_format == "python":
            blocks: list[str] = []
            for fn in functions:
                blocks += [_python_function(fn), "\n"]
            return "\n\n".join(blocks)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"function doc cannot be rendered as {doc_format}: {exc!r}") from None
    raise ConfigError(f"invalid function doc format {doc_format!r}; valid: python, xml, json")


def _described(meta: dict[str, Any]) -> Any:
    desc = meta.get("description", "")
    if "enum" in meta:
        desc += f" Enum values: {meta['enum']}."
    return desc


def _xml_param(name: Any, meta: dict[str, Any], required: Any, level: int) -> str:
    indent = " " * level * 2
    kind = meta.get("type", "string")
    needed = "true" if required is None or name in required else "false"
    desc = _described(meta)
    if "items" in meta and "type" in meta["items"]:
        kind = f"{kind}[{meta['items']['type']}]"
    elif "additionalProperties" in meta:
        kind = f"{kind}[{meta['additionalProperties'].get('type', 'string')}]"
    attributes = f'name="{name}" type="{kind}" required="{needed}"'
    if "default" in meta:
        attributes += f' default="{meta["default"]!r}"'
    parts = [f"{indent}<param {attributes.replace(',', '')}>\n", f"{indent}  <desc>{desc}</desc>\n"]
    if "properties" in meta:
        parts.append(f"{indent}  <params>\n")
        for child, child_meta in meta["properties"].items():
            parts.append(_xml_param(child, child_meta, meta.get("required"), level + 2))
        parts.append(f"{indent}  </params>\n")
    parts.append(f"{indent}</param>\n")
    return "".join(parts)


def _xml_function(fn: dict[str, Any]) -> str:
    schema = fn["parameters"]
    params = "".join(
        _xml_param(name, meta, schema.get("required"), 2)
        for name, meta in schema.get("properties", {}).items()
    )
    return (
        f'<function name="{fn["name"]}">\n  <desc>{fn.get("description", "")}</desc>\n'
        f"  <params>\n{params}  </params>\n</function>\n"
    )


_PY_PRIMITIVES = {"string": "str", "number": "float", "integer": "int", "boolean": "bool"}


def _py_type(meta: dict[str, Any]) -> Any:
    kind = meta.get("type", "string")
    if kind in _PY_PRIMITIVES:
        return _PY_PRIMITIVES[kind]
    if kind in {"array", "list", "tuple"} and "items" in meta:
        return f"list[{_py_type(meta['items'])}]"
    if kind in {"object", "dict"}:
        if "additionalProperties" in meta:
            return f"dict[str, {_py_type(meta['additionalProperties'])}]"
        return "dict"
    return kind


def _py_param(name: Any, meta: dict[str, Any], depth: int) -> list[str]:
    indent = " " * (8 + 4 * depth)
    default = f", default={meta['default']!r}" if "default" in meta else ""
    lines = [f"{indent}{name} ({_py_type(meta)}{default}): {_described(meta)}\n"]
    if "properties" in meta:
        for child, child_meta in meta["properties"].items():
            lines += _py_param(child, child_meta, depth + 1)
    return lines


def _python_function(fn: dict[str, Any]) -> str:
    lines = [f"# Function: {fn['name']}\n", '    """\n', f"    {fn.get('description', '')}\n\n"]
    properties = fn.get("parameters", {}).get("properties", {})
    if properties:
        lines.append("    Args:\n")
        for name, meta in properties.items():
            lines += _py_param(name, meta, 0)
    lines.append('    """\n')
    return "".join(lines)
