"""Golden tests of the family decoders: each input pins the decoded calls or the failure."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from farm.formats.families import FAMILIES, as_tool_calls, client_calls, decode_family, suggest
from farm.formats.pydecode import MAX_SOURCE_CHARS, DecodeError

NESTED = {"filter": {"tags": ["ä", "日本"], "range": {"lo": 1, "hi": [2.5, None]}}, "ok": True}
DOCS = [
    {
        "name": "search",
        "parameters": {
            "type": "dict",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer"},
                "score": {"type": "float"},
                "strict": {"type": "boolean"},
                "filter": {"type": "dict"},
                "ids": {"type": "array"},
            },
        },
    }
]


def tc(obj: dict[str, Any]) -> str:
    return "<tool_call>\n" + json.dumps(obj, ensure_ascii=False) + "\n</tool_call>"


GOLDEN: list[tuple[str, Any, list[Any]]] = [
    # hermes
    (
        "hermes",
        tc({"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}),
        [{"calculate_triangle_area": {"base": 10, "height": 5}}],
    ),
    (
        "hermes",
        "<think>\nplan\n</think>\n\n"
        + tc({"name": "a", "arguments": {"x": "日本"}})
        + "\n"
        + tc({"name": "b", "arguments": NESTED}),
        [{"a": {"x": "日本"}}, {"b": NESTED}],
    ),
    ("hermes", "I cannot help with that.", []),
    # a block that is not JSON is skipped, as BFCL does
    (
        "hermes",
        "<tool_call>\n{oops\n</tool_call>\n" + tc({"name": "a", "arguments": {}}),
        [{"a": {}}],
    ),
    # qwen3_coder
    (
        "qwen3_coder",
        "<tool_call>\n<function=search>\n<parameter=query>\nprix à Paris\n</parameter>\n"
        "<parameter=limit>\n5\n</parameter>\n<parameter=score>\n0.5\n</parameter>\n"
        "<parameter=strict>\ntrue\n</parameter>\n<parameter=filter>\n"
        + json.dumps(NESTED, ensure_ascii=False)
        + "\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=search>\n"
        "<parameter=query>\n42\n</parameter>\n<parameter=ids>\n[1, 'two']\n</parameter>\n"
        "</function>\n</tool_call>",
        [
            {
                "search": {
                    "query": "prix à Paris",
                    "limit": 5,
                    "score": 0.5,
                    "strict": True,
                    "filter": NESTED,
                }
            },
            {"search": {"query": "42", "ids": [1, "two"]}},
        ],
    ),
    ("qwen3_coder", "no call here", []),
    # glm4
    (
        "glm4",
        'calculate_triangle_area\n{"base": 10, "height": 5}',
        [{"calculate_triangle_area": {"base": 10, "height": 5}}],
    ),
    (
        "glm4",
        'a\n{"x": "日本"}\nb\n' + json.dumps(NESTED),
        [{"a": {"x": "日本"}}, {"b": NESTED}],
    ),
    ("glm4", "A sentence without a call.", ["A sentence without a call."]),
    ("glm4_bfcl", 'a\n{"x": 1}\nb\n{"y": 2}', [{"a": {"x": 1}}]),
    ("glm4_bfcl", "one line", ["one line"]),
    # glm45
    (
        "glm45",
        "<tool_call>search\n<arg_key>query</arg_key>\n<arg_value>東京 weather</arg_value>\n"
        "<arg_key>limit</arg_key>\n<arg_value>3</arg_value>\n<arg_key>filter</arg_key>\n"
        "<arg_value>" + json.dumps(NESTED) + "</arg_value>\n</tool_call>"
        "<tool_call>search\n<arg_key>query</arg_key>\n<arg_value>7</arg_value>\n</tool_call>",
        [
            {"search": {"query": "東京 weather", "limit": 3, "filter": NESTED}},
            {"search": {"query": "7"}},
        ],
    ),
    # llama3_json
    (
        "llama3_json",
        '<|python_tag|>{"name": "f", "parameters": {"n": "10"}}; '
        '{"name": "g", "parameters": {"k": [1, {"z": "ü"}]}}',
        [{"f": {"n": "10"}}, {"g": {"k": [1, {"z": "ü"}]}}],
    ),
    (
        "llama3_json",
        '[\n {"name": "f", "parameters": {"n": 20}},\n {"name": "f", "parameters": {"n": 12}}\n]',
        [{"f": {"n": 20}}, {"f": {"n": 12}}],
    ),
    (
        "llama3_json",
        '{"name": "f", "parameters": {"d": {"a": [1, 2]}}}',
        [{"f": {"d": {"a": [1, 2]}}}],
    ),
    # pythonic
    (
        "pythonic",
        "[f(a=1, b={'k': ['é', 2]}), g(s='日本')]",
        [{"f": {"a": 1, "b": {"k": ["é", 2]}}}, {"g": {"s": "日本"}}],
    ),
    ("pythonic", "<|python_start|>[f(a=1)]<|python_end|>", [{"f": {"a": 1}}]),
    # mistral
    (
        "mistral",
        '[TOOL_CALLS] [{"name": "math.factorial", "arguments": {"number": 5}}, '
        '{"name": "math.factorial", "arguments": {"number": 10}}]',
        [{"math.factorial": {"number": 5}}, {"math.factorial": {"number": 10}}],
    ),
    (
        "mistral",
        '[TOOL_CALLS]f[ARGS]{"a": "ö"}[TOOL_CALLS]g[ARGS]' + json.dumps(NESTED),
        [{"f": {"a": "ö"}}, {"g": NESTED}],
    ),
    # json
    ("json", '{"name": "f", "arguments": {"a": 1}}', [{"f": {"a": 1}}]),
    (
        "json",
        'Here you go:\n```json\n[{"name": "f", "arguments": "{\\"a\\": \\"ñ\\"}"}, '
        '{"name": "g", "parameters": ' + json.dumps(NESTED) + "}]\n```\n",
        [{"f": {"a": "ñ"}}, {"g": NESTED}],
    ),
    # decoded
    (
        "decoded",
        [{"math_factorial": {"number": 5}}, {"g": NESTED}],
        [{"math_factorial": {"number": 5}}, {"g": NESTED}],
    ),
    ("decoded", {"math_factorial": {"number": 5}}, [{"math_factorial": {"number": 5}}]),
    ("decoded", '[{"f": {"a": "日本"}}]', [{"f": {"a": "日本"}}]),
]


@pytest.mark.parametrize(("family", "raw", "expected"), GOLDEN)
def test_golden(family: str, raw: Any, expected: list[Any]) -> None:
    assert decode_family(raw, family, DOCS) == expected


MALFORMED: list[tuple[str, Any]] = [
    ("hermes", tc({"name": "f"})),
    ("hermes", "<tool_call>\n[1, 2]\n</tool_call>"),
    ("hermes", tc({"name": 3, "arguments": {}})),
    ("hermes", 42),
    ("qwen3_coder", "<tool_call>\n<function=f>\n<parameter=a>\n1\n</function>\n</tool_call>"),
    ("qwen3_coder", "<tool_call>\n<function=f>\n"),
    ("qwen3_coder", "<tool_call>\nplain\n</tool_call>"),
    ("glm4", "f\n{not json"),
    ("glm4", "f\n[1, 2]"),
    ("glm4_bfcl", "f\nnot json"),
    ("glm45", "<tool_call>f\n<arg_key>a</arg_key>\n</tool_call>"),
    ("glm45", "<tool_call>\n<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>"),
    ("llama3_json", '{"name": "f", "arguments": {}}'),
    ("llama3_json", '{"name": "f", "parameters": {"ok": true}}'),  # BFCL's eval fails on true
    ("llama3_json", '{"name": "f"}; nonsense'),
    ("pythonic", "[f(a=1), 3]"),
    ("mistral", '{"name": "f", "arguments": {}}'),
    ("mistral", "[TOOL_CALLS]f[ARGS]{oops"),
    ("json", '```json\n{"name": "f"\n'),
    ("json", '{"name": "f", "arguments": [1]}'),
    ("json", '{"arguments": {}}'),
    ("decoded", "not json"),
    ("decoded", 5),
]


@pytest.mark.parametrize(("family", "raw"), MALFORMED)
def test_malformed_is_a_decode_error(family: str, raw: Any) -> None:
    with pytest.raises(DecodeError):
        decode_family(raw, family, DOCS)


def test_unknown_family_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="unknown call format"):
        decode_family("x", "nope")


TEXT_FAMILIES = [name for name in FAMILIES if name != "decoded"]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_hostile_text_is_bounded(family: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    touch = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    hostile = [
        "x" * (MAX_SOURCE_CHARS + 1),
        "<tool_call>\n" * 200_000,
        "<tool_call><function=" * 100_000,
        "<tool_call>f<arg_key>" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        "<tool_call>\n" + "[" * 100_000 + "\n</tool_call>",
        '{"name": "f", "parameters": ' + "[" * 50_000 + "]" * 50_000 + "}",
        "f\n" + "{" * 50_000,
        "[TOOL_CALLS]" * 100_000,
        "```" * 100_000,
        f"[f(a={touch})]",
        f"{{'name': 'f', 'parameters': {{'a': {touch}}}}}",
        f"<tool_call>\n<function=f>\n<parameter=a>\n{touch}\n</parameter>\n</function>\n</tool_call>",
        f"<tool_call>f\n<arg_key>a</arg_key>\n<arg_value>{touch}</arg_value>\n</tool_call>",
        "<tool_call>\n<function=f>\n<parameter=a>\n"
        + "(" * 100_000
        + "\n</parameter>\n</function>\n</tool_call>",
        "\x00\ud800<tool_call>\n\ufeff{}\n</tool_call>",
    ]
    for raw in hostile:
        start = time.perf_counter()
        try:
            out = decode_family(raw, family, DOCS)
            json.dumps(out, default=str)
        except DecodeError:
            pass
        assert time.perf_counter() - start < 2.0, (family, raw[:40])
    assert not marker.exists()


def test_injected_values_stay_text() -> None:
    text = (
        "<tool_call>\n<function=f>\n<parameter=a>\n__import__('os').system('true')\n"
        "</parameter>\n</function>\n</tool_call>"
    )
    assert decode_family(text, "qwen3_coder") == [{"f": {"a": "__import__('os').system('true')"}}]


@pytest.mark.parametrize(
    ("text", "family"),
    [
        (tc({"name": "f", "arguments": {"a": 1}}), "hermes"),
        (
            "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</function>\n</tool_call>",
            "qwen3_coder",
        ),
        ('f\n{"a": 1}', "glm4"),
        ("<tool_call>f\n<arg_key>a</arg_key>\n<arg_value>1</arg_value>\n</tool_call>", "glm45"),
        ('<|python_tag|>{"name": "f", "parameters": {"a": 1}}', "llama3_json"),
        ("[f(a=1)]", "pythonic"),
        ('[TOOL_CALLS] [{"name": "f", "arguments": {"a": 1}}]', "mistral"),
        ('```json\n{"name": "f", "arguments": {"a": 1}}\n```', "json"),
        ([{"f": {"a": 1}}], "decoded"),
        ("The answer is 42.", None),
        ([{"f": '{"a": 1}'}], None),
    ],
)
def test_suggest_names_the_fitting_family(text: Any, family: str | None) -> None:
    assert suggest(text) == family
    if family is not None and isinstance(text, str):
        calls = client_calls(text, family)
        assert calls is not None
        assert as_tool_calls(calls) == [{"f": '{"a": 1}'}]


def test_client_calls_leave_prose_and_malformed_as_text() -> None:
    assert client_calls("I cannot help.", "hermes") is None
    assert client_calls("one line", "glm4") is None
    assert client_calls("f\n{bad", "glm4") is None
    assert client_calls(None, "hermes") is None
    assert client_calls(tc({"name": "f", "arguments": {}}), "no-such") is None


def test_glm45_call_without_arguments_is_recognised() -> None:
    """A GLM-4.5 call of a tool without parameters has no ``<arg_key>``: still glm45."""
    for text in ("<tool_call>get_time</tool_call>", "<tool_call>get_time\n</tool_call>"):
        assert suggest(text) == "glm45"
        assert client_calls(text, "glm45") == [{"get_time": {}}]


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>{"name": "f", "arguments": {}}</tool_call>',  # a Hermes block
        "<tool_call>I think so</tool_call>",  # prose in the tags
        '<tool_call>"f"</tool_call>',
    ],
)
def test_glm45_block_without_a_name_is_no_call(text: str) -> None:
    assert client_calls(text, "glm45") is None
    assert suggest(text) != "glm45"
