"""BFCL's AST checker: one decoded answer against the function docs and the ground truth.

Every rule, every order of checks and every error-type string follows BFCL 2026.3.23's
``ast_checker`` (see docs/scoring.md), including the odd ones: an ``int`` is accepted for a
``float`` parameter but not the reverse, a value of the ground truth's own type counts as a
"variable" and is compared without normalisation, parallel calls are matched greedily in
ground-truth order, and a documented parameter absent from the ground truth is unexpected.
"""

from __future__ import annotations

import re
from typing import Any, cast

from farm.errors import ScoringError
from farm.scoring.convert import JAVA_TYPES, JS_TYPES, java_to_python, js_to_python

Result = dict[str, Any]

PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
_PY_NESTED = ("array", "tuple")
_CONVERTED_NESTED = ("Array", "ArrayList", "array")
_STRIP = re.compile(r"[ \,\.\/\-\_\*\^]")


def _ok() -> Result:
    return {"valid": True, "error": []}


def _fail(error_type: str, *errors: Any) -> Result:
    return {"valid": False, "error": list(errors), "error_type": error_type}


def standardize_string(text: str) -> str:
    """Drop spaces and ``,./-_*^``, lowercase, and turn ``'`` into ``"`` (BFCL's rule)."""
    return _STRIP.sub("", text).lower().replace("'", '"')


def expected_name(doc_name: str, underscore_to_dot: bool) -> str:
    """The tool name a model must use: dots become underscores for FC models that need it."""
    if "." in doc_name and underscore_to_dot:
        return doc_name.replace(".", "_")
    return doc_name


def check_calls(
    functions: list[dict[str, Any]],
    decoded: list[dict[str, Any]],
    answer: list[dict[str, Any]],
    *,
    language: str,
    category: str,
    underscore_to_dot: bool,
) -> Result:
    """Check decoded calls against the ground truth, dispatching as BFCL does on the name."""
    if "parallel" in category:
        return _parallel(functions, decoded, answer, language, underscore_to_dot)
    if "multiple" in category:
        if len(decoded) != len(answer):
            return _fail("multiple_function_checker:wrong_count", "Wrong number of functions.")
        doc = _find_doc(functions, next(iter(answer[0])))
        return check_one(doc, decoded[0], answer[0], language, underscore_to_dot)
    if len(decoded) != 1:
        return _fail("simple_function_checker:wrong_count", "Wrong number of functions.")
    return check_one(functions[0], decoded[0], answer[0], language, underscore_to_dot)


def _find_doc(functions: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for doc in functions:
        if doc.get("name") == name:
            return doc
    raise ScoringError(f"ground truth names {name!r}, which no function doc defines")


def _parallel(
    functions: list[dict[str, Any]],
    decoded: list[dict[str, Any]],
    answer: list[dict[str, Any]],
    language: str,
    underscore_to_dot: bool,
) -> Result:
    if len(decoded) != len(answer):
        return _fail("parallel_function_checker_no_order:wrong_count", "Wrong number of functions.")
    matched: list[int] = []
    for i, expected in enumerate(answer):
        doc = _find_doc(functions, next(iter(expected)))
        errors: list[Any] = []
        result: Result = _ok()
        for index, call in enumerate(decoded):
            if index in matched:
                continue
            result = check_one(doc, call, expected, language, underscore_to_dot)
            if result["valid"]:
                matched.append(index)
                break
            errors.append(
                {
                    f"Model Result Index {index}": {
                        "sub_error": result["error"],
                        "sub_error_type": result["error_type"],
                    }
                }
            )
        if not result["valid"]:
            left = [j for j in range(len(decoded)) if j not in matched]
            errors.insert(
                0,
                f"Could not find a matching function among index {left} of model output "
                f"for index {i} of possible answers.",
            )
            return _fail("parallel_function_checker_no_order:cannot_find_match", *errors)
    return _ok()


def _type_map(language: str) -> dict[str, type]:
    if language == "java":
        return JAVA_TYPES
    if language == "javascript":
        return JS_TYPES
    return PYTHON_TYPES


def check_one(
    doc: dict[str, Any],
    call: dict[str, Any],
    expected: dict[str, Any],
    language: str,
    underscore_to_dot: bool,
) -> Result:
    """BFCL's ``simple_function_checker``: one model call against one ground-truth call."""
    gt: dict[str, list[Any]] = next(iter(expected.values()))
    try:
        properties = doc["parameters"]["properties"]
        required = doc["parameters"]["required"]
    except (KeyError, TypeError) as exc:
        raise ScoringError(f"function doc {doc.get('name')!r} lacks {exc}") from exc
    name = expected_name(doc["name"], underscore_to_dot)
    if name not in call:
        return _fail(
            "simple_function_checker:wrong_func_name",
            f"Function name {name!r} not found in model output.",
        )
    params: dict[Any, Any] = call[name]
    for param in required:
        if param not in params:
            return _fail(
                "simple_function_checker:missing_required",
                f"Missing required parameter: {param!r}.",
            )
    types = _type_map(language)
    for param, raw_value in params.items():
        if param not in properties or param not in gt:
            return _fail(
                "simple_function_checker:unexpected_param", f"Unexpected parameter: {param!r}."
            )
        type_name = properties[param].get("type")
        if type_name not in types:
            raise ScoringError(f"unsupported {language} type {type_name!r} for {param!r}")
        expected_type = types[type_name]
        nested_type: type | None = None
        value = raw_value
        if language in ("java", "javascript"):
            if not isinstance(value, str):
                return _fail(
                    "type_error:java" if language == "java" else "type_error:js",
                    f"Incorrect type for parameter {param!r}. Expected type String, got "
                    f"{type(value).__name__}. Parameter value: {value!r}.",
                )
            convert = java_to_python if language == "java" else js_to_python
            if type_name in _CONVERTED_NESTED:
                item_type = _items_type(properties[param], param)
                if item_type not in types:
                    raise ScoringError(f"unsupported {language} item type {item_type!r}")
                nested_type = types[item_type]
                value = convert(value, type_name, item_type)
            else:
                value = convert(value, type_name, None)
        elif type_name in _PY_NESTED:
            item_type = _items_type(properties[param], param)
            if item_type not in PYTHON_TYPES:
                raise ScoringError(f"unsupported python item type {item_type!r}")
            nested_type = PYTHON_TYPES[item_type]
        if type_name == "tuple" and type(value) is tuple:
            value = list(value)
        if language == "python" and type_name == "float" and type(value) is int:
            value = float(value)
        check = type_check(param, value, gt[param], type_name, expected_type, nested_type)
        if not check["valid"]:
            return check
        if not check["is_variable"]:
            if expected_type is dict:
                result = dict_check(value, gt[param])
            elif expected_type is list and nested_type is dict:
                result = list_dict_check(value, gt[param])
            elif expected_type is str:
                result = string_check(param, value, gt[param])
            elif expected_type is list:
                result = list_check(param, value, gt[param])
            else:
                result = None
            if result is not None:
                if not result["valid"]:
                    return result
                continue
        if value not in gt[param]:
            return _fail(
                "value_error:others",
                f"Invalid value for parameter {param!r}: {value!r}. Expected one of {gt[param]}.",
            )
    for param in gt:
        if param not in params and "" not in gt[param]:
            return _fail(
                "simple_function_checker:missing_optional",
                f"Optional parameter {param!r} not provided and not marked as optional.",
            )
    return _ok()


def _items_type(prop: dict[str, Any], param: str) -> Any:
    try:
        return prop["items"]["type"]
    except (KeyError, TypeError) as exc:
        raise ScoringError(f"array parameter {param!r} has no items type") from exc


def _answer_type(alternatives: list[Any]) -> type | None:
    for alt in alternatives:
        if alt != "":
            return type(alt)
    return None


def type_check(
    param: Any,
    value: Any,
    alternatives: list[Any],
    type_name: str,
    expected_type: type,
    nested_type: type | None,
) -> Result:
    """BFCL's ``type_checker`` (one nesting level, "variable" detection by answer type)."""
    result: Result = {
        "valid": True,
        "error": [],
        "is_variable": False,
        "error_type": "type_error:simple",
    }
    answer_type = _answer_type(alternatives)
    is_variable = answer_type is not None and answer_type != expected_type
    if type(value) is expected_type:
        if nested_type is None:
            result["is_variable"] = is_variable
            return result
        for alt in alternatives:
            flag = True
            if type(alt) is list:
                items = cast(list[Any], value)
                for item in items:
                    if not type_check(param, item, alt, str(nested_type), nested_type, None)[
                        "valid"
                    ]:
                        flag = False
                        break
            if flag:
                return {"valid": True, "error": [], "is_variable": is_variable}
        result["valid"] = False
        result["error"] = [
            f"Nested type checking failed for parameter {param!r}. Expected outer type "
            f"{type_name} with inner type {nested_type}. Parameter value: {value!r}."
        ]
        result["error_type"] = "type_error:nested"
    if answer_type is not None and type(value) is answer_type:
        result["is_variable"] = True
        return result
    result["valid"] = False
    result["error"].append(
        f"Incorrect type for parameter {param!r}. Expected type {type_name}, got "
        f"{type(value).__name__}. Parameter value: {value!r}."
    )
    result["error_type"] = "type_error:simple"
    return result


def string_check(param: Any, value: str, alternatives: list[Any]) -> Result:
    """Normalised membership of a string value."""
    wanted = [standardize_string(a) for a in alternatives if type(a) is str]
    if standardize_string(value) not in wanted:
        return _fail(
            "value_error:string",
            f"Invalid value for parameter {param!r}: {value!r}. Expected one of "
            f"{alternatives}. Case insensitive.",
        )
    return _ok()


def _norm(item: Any) -> Any:
    return standardize_string(item) if type(item) is str else item


def list_check(param: Any, value: list[Any], alternatives: list[Any]) -> Result:
    """Ordered equality with one alternative, string elements normalised."""
    got = [_norm(v) for v in value]
    wanted = [[_norm(v) for v in alt] for alt in alternatives]
    if got not in wanted:
        return _fail(
            "value_error:list/tuple",
            f"Invalid value for parameter {param!r}: {value!r}. Expected one of {alternatives}.",
        )
    return _ok()


def dict_check(value: dict[Any, Any], alternatives: list[Any]) -> Result:
    """BFCL's ``dict_checker``: keys and normalised values against each alternative."""
    result: Result = _fail("dict_checker:unclear")
    for alt in alternatives:
        if alt == "":
            continue
        result = _fail("dict_checker:unclear")
        flag = True
        for key, item in value.items():
            if key not in alt:
                result = _fail("value_error:dict_key", f"Unexpected dict key parameter: '{key}'.")
                flag = False
                break
            wanted = [_norm(a) for a in alt[key]]
            if _norm(item) not in wanted:
                result = _fail(
                    "value_error:dict_value",
                    f"Invalid value for parameter {key!r}: {item!r}. Expected one of {wanted}.",
                )
                flag = False
                break
        for key, options in alt.items():
            if key not in value and "" not in options:
                result["valid"] = False
                result["error"].append(f"Missing dict key parameter: '{key}'.")
                result["error_type"] = "value_error:dict_key"
                flag = False
                break
        if flag:
            return _ok()
    return result


def list_dict_check(value: list[Any], alternatives: list[Any]) -> Result:
    """A list of dicts: same length as an alternative, then element-wise ``dict_check``."""
    result: Result = _fail("list_dict_checker:unclear")
    for alt in alternatives:
        flag = True
        if len(value) != len(alt):
            result = _fail(
                "value_error:list_dict_count", "Wrong number of dictionaries in the list."
            )
            continue
        for index, item in enumerate(value):
            result = dict_check(item, [alt[index]])
            if not result["valid"]:
                flag = False
                break
        if flag:
            return _ok()
    return result
