"""Model outputs of our own for BFCL single-turn cases, used by bench/bfcl_agreement.py.

Each generator takes a case and returns a raw output in BFCL's ``result`` shape (prompt
text, or a list of ``{tool: arguments_json}`` for FC) covering one behaviour: right answer,
each accepted alternative, wrong value, missing/extra parameter, wrong type, reordered or
dropped calls, text instead of calls, malformed syntax, and a few odd encodings.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from farm.suites.case import Case

Calls = list[tuple[str, dict[str, Any]]]


def _pick(alternatives: list[Any], k: int) -> tuple[bool, Any]:
    real = [a for a in alternatives if a != ""]
    if not real:
        return False, None
    return True, _concrete(real[k % len(real)], k)


def _concrete(value: Any, k: int) -> Any:
    """A ground-truth alternative as a plain value (dict alternatives map key -> options)."""
    if isinstance(value, dict):
        out = {}
        for key, options in value.items():
            if isinstance(options, list):
                present, v = _pick(options, k)
                if present:
                    out[key] = v
            else:
                out[key] = options
        return out
    if isinstance(value, list):
        return [_concrete(v, k) if isinstance(v, dict) else v for v in value]
    return value


def answer_calls(case: Case, k: int = 0, *, omit_optional: bool = False) -> Calls:
    calls: Calls = []
    for item in case.answer or []:
        name, params = next(iter(item.items()))
        args: dict[str, Any] = {}
        for param, options in params.items():
            if omit_optional and "" in options:
                continue
            present, value = _pick(options, k)
            if present:
                args[param] = value
        calls.append((name, args))
    return calls


def _doc(case: Case, name: str) -> dict[str, Any]:
    for doc in case.functions:
        if doc["name"] == name:
            return doc
    return case.functions[0]


def _ptype(case: Case, name: str, param: str) -> tuple[str, str | None]:
    prop = _doc(case, name)["parameters"]["properties"].get(param, {})
    return prop.get("type", "string"), (prop.get("items") or {}).get("type")


# -- rendering ------------------------------------------------------------------------


def _java(value: Any, t: str, items: str | None, *, top: bool) -> str:
    if t in ("String", "any", "char") and isinstance(value, str):
        return json.dumps(value) if top else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if t == "long" and isinstance(value, int):
        return f"{value}L"
    if t == "float" and isinstance(value, (int, float)):
        return f"{float(value)}f"
    if t == "double" and isinstance(value, (int, float)):
        return repr(float(value))
    if t == "Array" and isinstance(value, list):
        jt = {"integer": "int", "String": "String", "char": "char"}.get(items or "", "Object")
        return (
            f"new {jt}[]{{"
            + ", ".join(_java(v, items or "any", None, top=True) for v in value)
            + "}"
        )
    if t == "ArrayList" and isinstance(value, list):
        inner = ", ".join(_java(v, items or "any", None, top=True) for v in value)
        return f"new ArrayList<>(Arrays.asList({inner}))"
    if t == "HashMap" and isinstance(value, dict):
        puts = " ".join(f'put("{k}", {_java(v, "any", None, top=True)});' for k, v in value.items())
        return f"new HashMap<String, String>() {{{{ {puts} }}}}"
    return json.dumps(value) if isinstance(value, str) and top else str(value)


def _js(value: Any, t: str, *, top: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value) if top else value
    if t == "Bigint" and isinstance(value, int):
        return f"{value}n"
    if isinstance(value, list):
        return "[" + ", ".join(_js(v, "any", top=True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_js(v, 'any', top=True)}" for k, v in value.items()) + "}"
    return str(value)


def render(case: Case, calls: Calls, style: str, dots: bool) -> Any:
    """Render calls as a prompt-mode text or an FC tool-call list for ``case``."""
    lang = case.language
    if style == "fc":
        out = []
        for name, args in calls:
            if lang == "java":
                args = {p: _java(v, *_ptype(case, name, p), top=False) for p, v in args.items()}
            elif lang == "javascript":
                args = {p: _js(v, _ptype(case, name, p)[0], top=False) for p, v in args.items()}
            out.append({name.replace(".", "_") if dots else name: json.dumps(args)})
        return out
    parts = []
    for name, args in calls:
        if lang == "java":
            rendered = [
                f"{p}={_java(v, *_ptype(case, name, p), top=True)}" for p, v in args.items()
            ]
        elif lang == "javascript":
            rendered = [
                f"{p}={_js(v, _ptype(case, name, p)[0], top=True)}" for p, v in args.items()
            ]
        else:
            rendered = [f"{p}={v!r}" for p, v in args.items()]
        parts.append(f"{name}({', '.join(rendered)})")
    return "[" + ", ".join(parts) + "]"


# -- mutations --------------------------------------------------------------------------


def _wrong_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 12345
    if isinstance(value, float):
        return value + 123.5
    if isinstance(value, str):
        return value + " zq wrong"
    if isinstance(value, list):
        return [*value, "extra item"]
    if isinstance(value, dict):
        return {**value, "bogus_key": 1}
    return "wrong"


def _wrong_type(value: Any, t: str) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int):
        return str(value) if t != "float" else str(value)
    if isinstance(value, float):
        return str(value) if value != int(value) else int(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, dict):
        return list(value)
    return 0


def _mutate_one(case: Case, calls: Calls, rng: random.Random, how: str) -> Calls:
    if not calls:
        return calls
    i = rng.randrange(len(calls))
    name, args = calls[i]
    args = dict(args)
    props = _doc(case, name)["parameters"]
    if how == "missing_required":
        req = [p for p in props.get("required", []) if p in args]
        if req:
            del args[rng.choice(req)]
    elif how == "missing_any" and args:
        del args[rng.choice(sorted(args))]
    elif how == "extra":
        args["unexpected_extra_param"] = 1
    elif how == "extra_documented":
        spare = [p for p in props["properties"] if p not in args]
        if spare:
            args[rng.choice(spare)] = "spare value"
    elif args:
        param = rng.choice(sorted(args))
        if how == "wrong_value":
            args[param] = _wrong_value(args[param])
        elif how == "wrong_type":
            args[param] = _wrong_type(args[param], _ptype(case, name, param)[0])
        elif how == "case_space":
            v = args[param]
            if isinstance(v, str):
                args[param] = " " + v.upper().replace(" ", " - ") + "."
        elif how == "int_float":
            v = args[param]
            if isinstance(v, float) and v == int(v):
                args[param] = int(v)
            elif isinstance(v, int) and not isinstance(v, bool):
                args[param] = float(v)
    calls = list(calls)
    calls[i] = (name, args)
    return calls


Variant = Callable[[Case, random.Random, str, bool], Any]


def _calls_variant(fn: Callable[[Case, random.Random], Calls]) -> Variant:
    return lambda case, rng, style, dots: render(case, fn(case, rng), style, dots)


VARIANTS: dict[str, Variant] = {
    "correct": _calls_variant(lambda c, r: answer_calls(c, 0)),
    "alternative_1": _calls_variant(lambda c, r: answer_calls(c, 1)),
    "alternative_2": _calls_variant(lambda c, r: answer_calls(c, 2)),
    "omit_optional": _calls_variant(lambda c, r: answer_calls(c, 0, omit_optional=True)),
    "wrong_value": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "wrong_value")),
    "wrong_type": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "wrong_type")),
    "int_float": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "int_float")),
    "case_space": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "case_space")),
    "missing_required": _calls_variant(
        lambda c, r: _mutate_one(c, answer_calls(c), r, "missing_required")
    ),
    "missing_param": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "missing_any")),
    "extra_param": _calls_variant(lambda c, r: _mutate_one(c, answer_calls(c), r, "extra")),
    "extra_documented": _calls_variant(
        lambda c, r: _mutate_one(c, answer_calls(c), r, "extra_documented")
    ),
    "reordered": _calls_variant(lambda c, r: list(reversed(answer_calls(c)))),
    "shuffled_alt": _calls_variant(lambda c, r: r.sample(answer_calls(c, 1), len(c.answer or []))),
    "dropped_call": _calls_variant(lambda c, r: answer_calls(c)[:-1]),
    "duplicated_call": _calls_variant(lambda c, r: answer_calls(c) + answer_calls(c)[:1]),
    "wrong_function": _calls_variant(
        lambda c, r: [
            (next((d["name"] for d in c.functions if d["name"] != n), n + "_other"), a)
            for n, a in answer_calls(c)
        ]
    ),
    "text": lambda c, r, s, d: "I'm sorry, I cannot help with that request.",
    "empty_list": lambda c, r, s, d: "[]" if s == "prompt" else [],
    "empty_string": lambda c, r, s, d: "",
    "inference_error": lambda c, r, s, d: "Error during inference: Request timed out.",
    "malformed": lambda c, r, s, d: (
        render(c, answer_calls(c), s, d)[:-2]
        if s == "prompt"
        else [{n: a[:-1]} for item in render(c, answer_calls(c), s, d) for n, a in item.items()]
    ),
    "fenced": lambda c, r, s, d: (
        "```\n" + render(c, answer_calls(c), s, d) + "\n```"
        if s == "prompt"
        else render(c, answer_calls(c), s, not d)
    ),
    "fenced_python": lambda c, r, s, d: (
        "```python\n" + render(c, answer_calls(c), s, d) + "\n```"
        if s == "prompt"
        else [
            {n: json.loads(a)} for item in render(c, answer_calls(c), s, d) for n, a in item.items()
        ]
    ),
    "no_brackets": lambda c, r, s, d: (
        render(c, answer_calls(c), s, d)[1:-1]
        if s == "prompt"
        else json.dumps(render(c, answer_calls(c), s, d))
    ),
    "injection": lambda c, r, s, d: (
        render(c, answer_calls(c), s, d)[:-2] + ", __import__('os').system('true'))]"
        if s == "prompt"
        else render(c, answer_calls(c), s, d) + [{"__import__": '{"x": "os"}'}]
    ),
    "binop": lambda c, r, s, d: (
        render(c, answer_calls(c), s, d)[:-2] + ", extra=2*3+1)]"
        if s == "prompt"
        else [{"f": "null"}]
    ),
}


def variant_names() -> list[str]:
    """All variant names, in a stable order."""
    return list(VARIANTS)


# -- quirks: encodings whose verdict depends on BFCL's odd rules -----------------------


def _py_render_with(case: Case, calls: Calls, value: Callable[[str, str, Any], str]) -> str:
    parts = []
    for name, args in calls:
        rendered = [f"{p}={value(name, p, v)}" for p, v in args.items()]
        parts.append(f"{name}({', '.join(rendered)})")
    return "[" + ", ".join(parts) + "]"


def _bare(name: str, param: str, v: Any) -> str:
    return v if isinstance(v, str) and v.isidentifier() else repr(v)


def _plus(name: str, param: str, v: Any) -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"+{v!r}" if v >= 0 else repr(v)
    return repr(v)


def _arith(name: str, param: str, v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v - 1} + 1"
    if isinstance(v, str) and len(v) > 1:
        return f"{v[:1]!r} + {v[1:]!r}"
    return repr(v)


def _tuples(name: str, param: str, v: Any) -> str:
    return repr(tuple(v)) if isinstance(v, list) else repr(v)


def _floats(name: str, param: str, v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return repr(float(v))
    if isinstance(v, float) and v == int(v):
        return repr(int(v))
    return repr(v)


def _java_quirk(case: Case, calls: Calls) -> str:
    parts = []
    for name, args in calls:
        rendered = []
        for p, v in args.items():
            t, items = _ptype(case, name, p)
            if t in ("long", "float") and isinstance(v, (int, float)):
                rendered.append(f"{p}={v}")  # no L / f suffix
            elif isinstance(v, str) and v.isidentifier():
                rendered.append(f"{p}={v}")  # an identifier, not a string literal
            else:
                rendered.append(f"{p}={_java(v, t, items, top=True)}")
        parts.append(f"{name}({', '.join(rendered)})")
    return "[" + ", ".join(parts) + "]"


def _prompt_only(fn: Callable[[Case, Calls], Any]) -> Variant:
    def variant(case: Case, rng: random.Random, style: str, dots: bool) -> Any:
        calls = answer_calls(case)
        if style == "fc":
            return [
                {name.replace(".", "_") if dots else name: json.dumps(args, separators=(",", ":"))}
                for name, args in calls
            ]
        if case.language == "java":
            return _java_quirk(case, calls)
        return fn(case, calls)

    return variant


QUIRKS: dict[str, Variant] = {
    "bare_names": _prompt_only(lambda c, calls: _py_render_with(c, calls, _bare)),
    "unary_plus": _prompt_only(lambda c, calls: _py_render_with(c, calls, _plus)),
    "arithmetic": _prompt_only(lambda c, calls: _py_render_with(c, calls, _arith)),
    "tuples": _prompt_only(lambda c, calls: _py_render_with(c, calls, _tuples)),
    "int_float_all": _prompt_only(lambda c, calls: _py_render_with(c, calls, _floats)),
    "positional": _prompt_only(
        lambda c, calls: render(c, calls, "prompt", False).replace("(", "('pos', ", 1)
    ),
    "newlines": _prompt_only(
        lambda c, calls: "\n".join(render(c, [call], "prompt", False)[1:-1] for call in calls)
    ),
    "quoted": _prompt_only(lambda c, calls: "'" + render(c, calls, "prompt", False) + "'"),
    "duplicate_keyword": _prompt_only(
        lambda c, calls: render(c, calls, "prompt", False).replace(")", ", x=1, x=2)", 1)
    ),
}
VARIANTS.update(QUIRKS)
