# ruff: noqa: E501
"""Inline scoring cases with the verdict BFCL 2026.3.23 gives them (our own data).

Each case: ``(label, category, language, functions, answer, mode, dots, raw, expected)``
where ``expected`` is ``(valid, error_type)``. The expectations were checked against the
official checker with bench/bfcl_oracle.py; tests/scoring/test_golden.py re-checks them
against the farm always, and against the official checker when its venv exists.
"""

from __future__ import annotations

import json
from typing import Any

Golden = tuple[str, str, str, list[dict[str, Any]], Any, str, bool, Any, tuple[bool, str | None]]


def doc(fname: str, required: list[str], **props: Any) -> dict[str, Any]:
    """A function doc; ``props`` maps a parameter to its type or a full property dict."""
    properties = {p: (t if isinstance(t, dict) else {"type": t}) for p, t in props.items()}
    return {
        "name": fname,
        "description": "test function",
        "parameters": {"type": "dict", "properties": properties, "required": required},
    }


WEATHER = doc(
    "weather.get",
    ["city"],
    city="string",
    days="integer",
    unit={"type": "string", "enum": ["c", "f"]},
)
WEATHER_GT = [
    {"weather.get": {"city": ["San Francisco", "SF"], "days": [3, ""], "unit": ["", "c"]}}
]
AREA = doc("area", ["base", "height"], base="float", height="float", precise="boolean")
AREA_GT = [{"area": {"base": [10.0], "height": [5], "precise": [True, ""]}}]
LISTS = doc(
    "plan",
    ["stops"],
    stops={"type": "array", "items": {"type": "string"}},
    coords={"type": "tuple", "items": {"type": "float"}},
    opts="dict",
    people={"type": "array", "items": {"type": "dict"}},
)
LISTS_GT = [
    {
        "plan": {
            "stops": [["Santa Barbara", "Monterey"], ["Monterey", "Santa Barbara"]],
            "coords": [[1.5, 2.0], ""],
            "opts": [{"mode": ["car", "bus"], "fast": [True, ""]}, ""],
            "people": [[{"name": ["Ann"], "age": [30]}], ""],
        }
    }
]
PAR_DOCS = [
    doc("add", ["a", "b"], a="integer", b="integer"),
    doc("mul", ["a", "b"], a="integer", b="integer"),
]
PAR_GT = [
    {"add": {"a": [1], "b": [2]}},
    {"add": {"a": [3], "b": [4]}},
    {"mul": {"a": [5], "b": [6]}},
]
MULTI_DOCS = [doc("search", ["q"], q="string"), doc("math.sqrt", ["x"], x="float")]
MULTI_GT = [{"math.sqrt": {"x": [16.0]}}]
JAVA = doc(
    "Cfg.load",
    ["path", "retries"],
    path="String",
    retries="integer",
    timeout="long",
    ratio="float",
    flag="boolean",
    names={"type": "ArrayList", "items": {"type": "String"}},
    ids={"type": "Array", "items": {"type": "integer"}},
    ctx="any",
)
JAVA_GT = [
    {
        "Cfg.load": {
            "path": ["/etc/app.conf"],
            "retries": [3],
            "timeout": [5000, ""],
            "ratio": [0.5, ""],
            "flag": [True, ""],
            "names": [["a", "b"], ""],
            "ids": [[1, 2], ""],
            "ctx": ["appContext", ""],
        }
    }
]
JS = doc(
    "sendEvent",
    ["name"],
    name="String",
    count="integer",
    big="Bigint",
    on="Boolean",
    tags={"type": "array", "items": {"type": "String"}},
    meta="dict",
    cb="any",
)
JS_GT = [
    {
        "sendEvent": {
            "name": ["click"],
            "count": [2, ""],
            "big": [10, ""],
            "on": [True, ""],
            "tags": [["x", "y"], ""],
            "meta": [{"k": ["v"]}, ""],
            "cb": ["handler", ""],
        }
    }
]
NONE: Any = None


def fc(*calls: tuple[str, dict[str, Any]]) -> list[dict[str, str]]:
    """FC raw output from (name, arguments) pairs."""
    return [{name: json.dumps(args)} for name, args in calls]


S, P, M, PM = "simple_python", "parallel", "multiple", "parallel_multiple"
GOLDEN: list[Golden] = [
    # -- simple, prompt mode
    ("right answer", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='San Francisco', days=3)]", (True, None)),
    ("accepted alternative", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "weather.get(city='sf', unit='c')", (True, None)),
    ("string normalisation", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='san-francisco.')]", (True, None)),
    ("wrong string", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='LA')]", (False, "value_error:string")),
    ("missing required", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(days=3)]", (False, "simple_function_checker:missing_required")),
    ("unexpected param", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', foo=1)]", (False, "simple_function_checker:unexpected_param")),
    ("wrong int", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', days=4)]", (False, "value_error:others")),
    ("float for int", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', days=3.0)]", (False, "type_error:simple")),
    ("bool for int", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', days=True)]", (False, "type_error:simple")),
    ("wrong name", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather_get(city='SF')]", (False, "simple_function_checker:wrong_func_name")),
    ("two calls for simple", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF'), weather.get(city='SF')]", (False, "simple_function_checker:wrong_count")),
    ("empty list", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[]", (False, "simple_function_checker:wrong_count")),
    ("prose", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "The weather is sunny.", (False, "ast_decoder:decoder_failed")),
    ("plain fence", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "```\n[weather.get(city='SF')]\n```", (True, None)),
    ("python fence", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "```python\n[weather.get(city='SF')]\n```", (False, "ast_decoder:decoder_failed")),
    ("positional dropped", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get('SF')]", (False, "simple_function_checker:missing_required")),
    ("bare name value", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city=SF)]", (True, None)),
    ("attribute value", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city=math.pi)]", (False, "ast_decoder:decoder_failed")),
    ("folded arithmetic", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', days=1+2)]", (True, None)),
    ("unary plus negates", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city='SF', days=+3)]", (False, "value_error:others")),
    ("call value text", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[weather.get(city=get_city())]", (False, "value_error:string")),
    ("not a call", S, "python", [WEATHER], WEATHER_GT, "prompt", False, "[1, 2]", (False, "ast_decoder:decoder_failed")),
    ("int for float", S, "python", [AREA], AREA_GT, "prompt", False, "[area(base=10, height=5)]", (True, None)),
    ("float equals int gt", S, "python", [AREA], AREA_GT, "prompt", False, "[area(base=10.0, height=5.0)]", (True, None)),
    ("string for float", S, "python", [AREA], AREA_GT, "prompt", False, "[area(base='10', height=5)]", (False, "type_error:simple")),
    ("bool value", S, "python", [AREA], AREA_GT, "prompt", False, "[area(base=10, height=5, precise=False)]", (False, "value_error:others")),
    ("missing optional", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'])]", (True, None)),
    ("list order matters", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara', 'LA'])]", (False, "value_error:list/tuple")),
    ("list normalised", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['santa barbara', 'MONTEREY'])]", (True, None)),
    ("nested type", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 5])]", (False, "type_error:nested")),
    ("tuple for array", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=('Monterey', 'Santa Barbara'))]", (False, "type_error:simple")),
    ("tuple for tuple", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], coords=(1.5, 2.0))]", (True, None)),
    ("ints in float tuple pass via the optional marker", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], coords=(1.5, 2))]", (True, None)),
    ("dict ok", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], opts={'mode': 'Bus'})]", (True, None)),
    ("dict bad key", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], opts={'speed': 1})]", (False, "value_error:dict_key")),
    ("dict bad value", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], opts={'mode': 'train'})]", (False, "value_error:dict_value")),
    ("dict missing key", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], opts={'fast': True})]", (False, "value_error:dict_key")),
    ("list of dicts ok", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], people=[{'name': 'ann', 'age': 30}])]", (True, None)),
    ("empty list of dicts matches the optional marker", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], people=[])]", (True, None)),
    ("list of dicts value reports the last alternative", S, "python", [LISTS], LISTS_GT, "prompt", False, "[plan(stops=['Monterey', 'Santa Barbara'], people=[{'name': 'Bob', 'age': 30}])]", (False, "value_error:list_dict_count")),
    # -- FC mode
    ("fc right, dots mapped", S, "python", [WEATHER], WEATHER_GT, "fc", True, fc(("weather_get", {"city": "SF"})), (True, None)),
    ("fc dotted name with mapping", S, "python", [WEATHER], WEATHER_GT, "fc", True, fc(("weather.get", {"city": "SF"})), (False, "simple_function_checker:wrong_func_name")),
    ("fc dotted name without mapping", S, "python", [WEATHER], WEATHER_GT, "fc", False, fc(("weather.get", {"city": "SF"})), (True, None)),
    ("fc text", S, "python", [WEATHER], WEATHER_GT, "fc", True, "It is sunny in SF.", (False, "ast_decoder:decoder_failed")),
    ("fc empty string", S, "python", [WEATHER], WEATHER_GT, "fc", True, "", (False, "simple_function_checker:wrong_count")),
    ("fc bad json", S, "python", [WEATHER], WEATHER_GT, "fc", True, [{"weather_get": '{"city": '}], (False, "ast_decoder:decoder_failed")),
    ("fc null arguments", S, "python", [WEATHER], WEATHER_GT, "fc", True, [{"weather_get": "null"}], (False, "ast_decoder:decoder_wrong_output_format")),
    ("fc float for int", S, "python", [WEATHER], WEATHER_GT, "fc", True, fc(("weather_get", {"city": "SF", "days": 3.0})), (False, "type_error:simple")),
    ("fc error string", S, "python", [WEATHER], WEATHER_GT, "fc", True, "Error during inference: timeout", (False, "ast_decoder:decoder_failed")),
    # -- multiple / parallel
    ("multiple right", M, "python", MULTI_DOCS, MULTI_GT, "prompt", False, "[math.sqrt(x=16)]", (True, None)),
    ("multiple wrong function", M, "python", MULTI_DOCS, MULTI_GT, "prompt", False, "[search(q='sqrt 16')]", (False, "simple_function_checker:wrong_func_name")),
    ("multiple two calls", M, "python", MULTI_DOCS, MULTI_GT, "prompt", False, "[math.sqrt(x=16), math.sqrt(x=16)]", (False, "multiple_function_checker:wrong_count")),
    ("multiple fc mapped", M, "python", MULTI_DOCS, MULTI_GT, "fc", True, fc(("math_sqrt", {"x": 16})), (True, None)),
    ("parallel any order", P, "python", PAR_DOCS, PAR_GT, "prompt", False, "[mul(a=5, b=6), add(a=3, b=4), add(a=1, b=2)]", (True, None)),
    ("parallel missing call", P, "python", PAR_DOCS, PAR_GT, "prompt", False, "[mul(a=5, b=6), add(a=3, b=4)]", (False, "parallel_function_checker_no_order:wrong_count")),
    ("parallel wrong value", P, "python", PAR_DOCS, PAR_GT, "prompt", False, "[add(a=1, b=2), add(a=3, b=5), mul(a=5, b=6)]", (False, "parallel_function_checker_no_order:cannot_find_match")),
    ("parallel multiple fc", PM, "python", PAR_DOCS, PAR_GT, "fc", False, fc(("add", {"a": 3, "b": 4}), ("mul", {"a": 5, "b": 6}), ("add", {"a": 1, "b": 2})), (True, None)),
    # -- relevance
    ("irrelevance text", "irrelevance", "python", [WEATHER], NONE, "prompt", False, "I cannot help.", (True, None)),
    ("irrelevance call", "irrelevance", "python", [WEATHER], NONE, "prompt", False, "[weather.get(city='SF')]", (False, "irrelevance_error:decoder_success")),
    ("irrelevance empty", "live_irrelevance", "python", [WEATHER], NONE, "prompt", False, "[]", (True, None)),
    ("irrelevance fc call", "live_irrelevance", "python", [WEATHER], NONE, "fc", True, fc(("weather_get", {})), (False, "irrelevance_error:decoder_success")),
    ("irrelevance fc bad json", "irrelevance", "python", [WEATHER], NONE, "fc", True, [{"weather_get": "{"}], (True, None)),
    ("irrelevance error string", "irrelevance", "python", [WEATHER], NONE, "fc", False, "Error during inference: boom", (True, None)),
    ("relevance call", "live_relevance", "python", [WEATHER], NONE, "prompt", False, "[weather.get(city='Paris')]", (True, None)),
    ("relevance text", "live_relevance", "python", [WEATHER], NONE, "prompt", False, "Which city?", (False, "relevance_error:decoder_failed")),
    ("relevance empty fc", "live_relevance", "python", [WEATHER], NONE, "fc", False, [], (False, "relevance_error:decoder_failed")),
    # -- Java
    ("java right", "simple_java", "java", [JAVA], JAVA_GT, "prompt", False, '[Cfg.load(path="/etc/app.conf", retries=3, timeout=5000L, names=new ArrayList<>(Arrays.asList("a", "b")), ids=new int[]{1, 2}, ctx=appContext)]', (True, None)),
    ("java long without L", "simple_java", "java", [JAVA], JAVA_GT, "prompt", False, '[Cfg.load(path="/etc/app.conf", retries=3, timeout=5000)]', (False, "type_error:simple")),
    ("java float suffix", "simple_java", "java", [JAVA], JAVA_GT, "prompt", False, '[Cfg.load(path="/etc/app.conf", retries=3, ratio=0.5f, flag=true)]', (True, None)),
    ("java wrong int", "simple_java", "java", [JAVA], JAVA_GT, "prompt", False, '[Cfg.load(path="/etc/app.conf", retries=4)]', (False, "value_error:others")),
    ("java fc non-string", "simple_java", "java", [JAVA], JAVA_GT, "fc", True, fc(("Cfg_load", {"path": "/etc/app.conf", "retries": 3})), (False, "type_error:java")),
    ("java fc strings", "simple_java", "java", [JAVA], JAVA_GT, "fc", True, fc(("Cfg_load", {"path": "/etc/app.conf", "retries": "3"})), (True, None)),
    ("java prose", "simple_java", "java", [JAVA], JAVA_GT, "prompt", False, "I would call the loader.", (False, "ast_decoder:decoder_failed")),
    # -- JavaScript
    ("js right", "simple_javascript", "javascript", [JS], JS_GT, "prompt", False, "[sendEvent(name='click', count=2, big=10n, on=true, tags=['x', 'y'], cb=handler)]", (True, None)),
    ("js dict", "simple_javascript", "javascript", [JS], JS_GT, "prompt", False, "[sendEvent(name='click', meta={k: 'v'})]", (True, None)),
    ("js wrong array", "simple_javascript", "javascript", [JS], JS_GT, "prompt", False, "[sendEvent(name='click', tags=['y', 'x'])]", (False, "value_error:list/tuple")),
    ("js float for integer", "simple_javascript", "javascript", [JS], JS_GT, "prompt", False, "[sendEvent(name='click', count=2.0)]", (False, "type_error:simple")),
    ("js fc non-string", "simple_javascript", "javascript", [JS], JS_GT, "fc", False, fc(("sendEvent", {"name": "click", "count": 2})), (False, "type_error:js")),
    ("js two statements", "simple_javascript", "javascript", [JS], JS_GT, "prompt", False, "[sendEvent(name='click'), sendEvent(name='x')]", (False, "ast_decoder:decoder_wrong_output_format")),
]  # fmt: skip
