"""Function docs as the model sees them: BFCL's language hints, then OpenAI tools (FC mode).

Both steps follow BFCL exactly (bfcl.md 1.4 step 4 and 2.3): every description gets the
language note; Java and JavaScript parameters become strings with their original type
explained; FC mode then maps Gorilla types to OpenAPI types, marks floats, replaces ``.`` in
names with ``_`` and wraps each doc as ``{"type": "function", "function": doc}``. Inputs are
never modified: each function works on a deep copy.
"""

from __future__ import annotations

import json
from typing import Any

from farm.jsondata import json_copy

#: Gorilla (and Java/JavaScript) type names -> OpenAPI type names.
GORILLA_TO_OPENAPI: dict[str, str] = {
    "integer": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "dict": "object",
    "object": "object",
    "tuple": "array",
    "any": "string",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "number",
    "char": "string",
    "ArrayList": "array",
    "Array": "array",
    "HashMap": "object",
    "Hashtable": "object",
    "Queue": "array",
    "Stack": "array",
    "Any": "string",
    "String": "string",
    "Bigint": "integer",
}

Doc = dict[str, Any]


def is_javascript(category: str) -> bool:
    """BFCL's test for a JavaScript category."""
    return "javascript" in category


def is_java(category: str) -> bool:
    """BFCL's test for a Java category (``javascript`` contains ``java``)."""
    return "java" in category and not is_javascript(category)


def language_hint(category: str) -> str:
    """The sentence BFCL appends to every function description."""
    if is_java(category):
        return " Note that the provided function is in Java 8 SDK syntax."
    if is_javascript(category):
        return " Note that the provided function is in JavaScript syntax."
    return " Note that the provided function is in Python 3 syntax."


def _java_params(properties: dict[str, Any]) -> None:
    for value in properties.values():
        if value["type"] == "any":
            value["description"] += (
                " This parameter can be of any type of Java object in string representation."
            )
        else:
            value["description"] += (
                f" This is Java {value['type']} type parameter in string representation."
            )
        if value["type"] in ("ArrayList", "Array"):
            value["description"] += (
                f" The list elements are of type {value['items']['type']};"
                " they are not in string representation."
            )
            del value["items"]
        value["type"] = "string"


def _javascript_params(properties: dict[str, Any]) -> None:
    for value in properties.values():
        if value["type"] == "any":
            value["description"] += (
                " This parameter can be of any type of JavaScript object in string representation."
            )
        else:
            value["description"] += (
                f" This is JavaScript {value['type']} type parameter in string representation."
            )
        if value["type"] == "array":
            value["description"] += (
                f" The list elements are of type {value['items']['type']};"
                " they are not in string representation."
            )
            del value["items"]
        if value["type"] == "dict" and "properties" in value:
            value["description"] += (
                " The dictionary entries have the following schema; they are not in string"
                f" representation. {json.dumps(value['properties'])}"
            )
            del value["properties"]
        value["type"] = "string"


def with_language_hints(functions: list[Doc], category: str) -> list[Doc]:
    """The docs as BFCL shows them to models (``include_language_specific_hint=True``)."""
    docs: list[Doc] = json_copy(functions)
    for doc in docs:
        doc["description"] = doc["description"] + language_hint(category)
        properties = doc["parameters"]["properties"]
        if is_java(category):
            _java_params(properties)
        elif is_javascript(category):
            _javascript_params(properties)
    return docs


def _map_type(type_name: str) -> str:
    # BFCL indexes the mapping directly for item types: an unknown one is a KeyError there.
    return GORILLA_TO_OPENAPI[type_name]


def _cast_properties(properties: dict[str, Any]) -> dict[str, Any]:
    for value in properties.values():
        if "type" not in value:
            value["type"] = "string"
        else:
            source = value["type"]
            if source == "float":
                value["format"] = "float"
                value["description"] += " This is a float type value."
            value["type"] = GORILLA_TO_OPENAPI.get(source, "string")
        if value["type"] not in ("array", "object"):
            continue
        if "properties" in value:
            value["properties"] = _cast_properties(value["properties"])
        elif "items" in value:
            items = value["items"]
            items["type"] = _map_type(items["type"])
            if items["type"] == "array" and "items" in items:
                items["items"]["type"] = _map_type(items["items"]["type"])
            elif items["type"] == "object" and "properties" in items:
                items["properties"] = _cast_properties(items["properties"])
    return properties


def to_openai_tools(functions: list[Doc], *, copy: bool = True) -> list[Doc]:
    """BFCL's ``convert_to_tool`` for OpenAI chat completions.

    With ``copy=False`` the docs are converted in place (for a private copy).

    Raises:
        KeyError: on an unknown array item type, as BFCL does.
    """
    tools: list[Doc] = []
    for doc in json_copy(functions) if copy else functions:
        doc["name"] = doc["name"].replace(".", "_")
        doc["parameters"]["type"] = "object"
        doc["parameters"]["properties"] = _cast_properties(doc["parameters"]["properties"])
        tools.append({"type": "function", "function": doc})
    return tools
