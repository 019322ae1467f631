"""Decoders turn model output into BFCL's call shape without executing anything."""

from __future__ import annotations

import pytest

from farm.formats.cdecode import decode_cstyle_calls
from farm.formats.fcdecode import decode_fc_calls
from farm.formats.pydecode import DecodeError, decode_python_calls
from farm.scoring.convert import java_to_python, js_to_python
from farm.scoring.score import has_no_call, is_call_list
from farm.scoring.verdict import json_safe, safe_text


def test_python_calls_keep_keywords_and_literal_shapes() -> None:
    calls = decode_python_calls(
        "[m.f(a=1, b='x', c=[1, -2.5], d={'k': (1, 2)}, e=None, g=true, h=g(), i=a[1:2], j=...)]"
    )
    assert calls == [
        {"m.f": {"a": 1, "b": "x", "c": [1, -2.5], "d": {"k": (1, 2)}, "e": None,
                 "g": "true", "h": "g()", "i": "a[1:2]", "j": "..."}}
    ]  # fmt: skip


def test_python_quirks_follow_bfcl() -> None:
    assert decode_python_calls("f(1, a=2)") == [{"f": {"a": 2}}]
    assert decode_python_calls("[f(a=+5, b=not 1, c=~2)]") == [{"f": {"a": -5, "b": -1, "c": -2}}]
    assert decode_python_calls("[f(a=g(x=1))]") == [{"f": {"a": {"g": {"x": 1}}}}]
    assert decode_python_calls("[f(a=1, a=2)]") == [{"f": {"a": 2}}]
    assert decode_python_calls("[f(a='a'+'b', b=[1]*2, c=2**-1)]") == [
        {"f": {"a": "ab", "b": [1, 1], "c": 0.5}}
    ]
    assert decode_python_calls("```\n[f()]\n```") == [{"f": {}}]
    assert decode_python_calls("[]") == []


@pytest.mark.parametrize(
    "text",
    ["```python\n[f(a=1)]\n```", "Sure!", "[f(a=x.y)]", "[f(a=-x)]", "[f(a=lambda: 1)]",
     "[f(a={1, 2})]", "[f(a=1 if x else 2)]", "[f(a={[1]: 2})]", "[f(a={**d})]", "[1]"],
)  # fmt: skip
def test_python_outputs_bfcl_cannot_decode_fail(text: str) -> None:
    with pytest.raises(DecodeError):
        decode_python_calls(text)


def test_fc_output_decodes_json_arguments() -> None:
    assert decode_fc_calls([{"a_b": '{"x": 1}', "ignored": "{}"}]) == [{"a_b": {"x": 1}}]
    assert decode_fc_calls("") == []
    assert decode_fc_calls([{"f": "null"}]) == [{"f": None}]
    for bad in ("text", [{}], [{"f": {"x": 1}}], [{"f": "{"}], ["f"], None, 3):
        with pytest.raises(DecodeError):
            decode_fc_calls(bad)


def test_format_checks_match_bfcl() -> None:
    assert is_call_list([]) and is_call_list([{"f": {}}])
    assert not is_call_list([{"f": None}]) and not is_call_list({"f": {}})
    assert has_no_call([]) and has_no_call([{}]) and has_no_call(None)
    assert not has_no_call([{"f": {}}])


def test_java_values_are_bfcl_source_strings() -> None:
    calls = decode_cstyle_calls(
        "[Svc.run(a=\"x y\", b='c', c=-5, d=3.5f, e=new int[] {1, 2}, f=new ArrayList<>"
        '(Arrays.asList("p", "q")), g=new HashMap<String, Integer>() {{ put("k", 1); }}, '
        "h=obj.field, i=helper.make(1, 2), j=true, k=1 + 2)]",
        "java",
    )
    assert calls == [
        {"Svc.run": {"a": "x y", "b": "c", "c": "-5", "d": "3.5f", "e": "new int[]{1,2}",
                     "f": 'new ArrayList<>(Arrays.asList("p", "q"))',
                     "g": "new HashMap<String,Integer>()", "h": "obj.field",
                     "i": "helper.make(1, 2)", "j": "true", "k": "1+2"}}
    ]  # fmt: skip
    assert decode_cstyle_calls("[x = 1]", "java") == {}
    with pytest.raises(DecodeError):
        decode_cstyle_calls("[f(a=1), g(b=2)]", "java")
    with pytest.raises(DecodeError):
        decode_cstyle_calls("[f(a=1, a=2)]", "java")


def test_javascript_values_are_raw_source() -> None:
    calls = decode_cstyle_calls(
        "[obj.f(a='x', b=[1, 'two'], c={k: \"v\"}, d=12n, e=new Array(1, 2), g=cb)]",
        "javascript",
    )
    assert calls == [
        {"obj.f": {"a": "x", "b": "[1, 'two']", "c": '{k: "v"}', "d": "12n",
                   "e": "new Array(1, 2)", "g": "cb"}}
    ]  # fmt: skip
    assert decode_cstyle_calls("[f(a=1), g(b=2)]", "javascript") is None
    assert decode_cstyle_calls("[f(x, false, 3)]", "javascript") == [{"f": {None: "x"}}]
    with pytest.raises(DecodeError):  # two positional arguments share BFCL's key None
        decode_cstyle_calls("[f(x, true)]", "javascript")


def test_java_and_js_conversion_by_declared_type() -> None:
    assert java_to_python("7", "long", None) == "7"
    assert java_to_python("7L", "long", None) == 7
    assert java_to_python("1.5f", "float", None) == 1.5
    assert java_to_python("new int[]{1,2}", "Array", "integer") == [1, 2]
    assert java_to_python('new ArrayList<>(Arrays.asList("a", "b"))', "ArrayList", "String") == [
        "a",
        "b",
    ]
    assert java_to_python("new HashMap<String,Integer>()", "HashMap", None) == {}
    assert java_to_python("'c'", "char", None) == "'c'"
    assert js_to_python("[1, 'a', true]", "array", None) == [1, "a", True]
    assert js_to_python("{a: 1, b: 'x'}", "dict", None) == {"a": 1, "b": "x"}
    assert js_to_python("12n", "Bigint", None) == 12
    assert js_to_python("2.0", "integer", None) == "2.0"


def test_json_safe_makes_anything_storable() -> None:
    value = json_safe({(1, 2): [1j, b"x", float("nan"), 2**9000, "a\x00\ud800"]})
    assert value == {"(1, 2)": ["1j", "b'x'", "nan", "<int of 9001 bits>", "a\\u0000\\ud800"]}
    assert safe_text("ok") == "ok"
