"""BFCL's prompt decoders per return format, with and without <TOOLCALL> (bfcl.md, ast_parse)."""

from __future__ import annotations

import pytest

from farm.formats import get_format
from farm.formats.pydecode import DecodeError
from farm.formats.retdecode import convert_value_by_type, decode_prompt_calls

CALLS = [{"f": {"a": 1, "b": "x"}}, {"g": {}}]
JSON = '[{"function": "f", "parameters": {"a": 1, "b": "x"}}, {"function": "g", "parameters": {}}]'
VERBOSE = (
    '<functions><function name="f"><params><param name="a" value="1" type="integer"/>'
    '<param name="b" value="x" type="string"/></params></function>'
    '<function name="g"></function></functions>'
)
CONCISE = (
    '<functions><function name="f"><param name="a" type="integer"> 1 </param>'
    '<param name="b">\n x \n</param></function><function name="g"/></functions>'
)
TEXTS = {
    "python": "[f(a=1, b='x'), g()]",
    "json": JSON,
    "verbose_xml": VERBOSE,
    "concise_xml": CONCISE,
}


def _fn(params: str) -> str:
    return f'<functions><function name="f">{params}</function></functions>'


@pytest.mark.parametrize("fmt", sorted(TEXTS))
def test_each_format_decodes_bare_tagged_fenced_and_wrapped_in_prose(fmt):
    text = TEXTS[fmt]
    assert decode_prompt_calls(text, fmt) == CALLS
    assert decode_prompt_calls(f"<TOOLCALL>{text}</TOOLCALL>", fmt, True) == CALLS
    assert decode_prompt_calls(f"```\n<TOOLCALL> {text}\n</TOOLCALL>\n```", fmt, True) == CALLS
    if fmt != "python":  # JSON and XML find their span inside prose; Python does not
        assert decode_prompt_calls(f"Sure:\n{text}\nDone.", fmt) == CALLS


@pytest.mark.parametrize("fmt", sorted(TEXTS))
def test_a_missing_tag_is_a_decoding_failure(fmt):
    with pytest.raises(DecodeError, match="tool call tag"):
        decode_prompt_calls(TEXTS[fmt], fmt, True)
    with pytest.raises(DecodeError, match="tool call tag"):
        decode_prompt_calls("<TOOLCALL>" + TEXTS[fmt], fmt, True)


def test_the_brackets_are_added_before_the_tag_search():
    # BFCL wraps "[...]" around the whole text first: the tag body stays unwrapped, and a
    # single call decodes as one call.
    assert decode_prompt_calls("<TOOLCALL>f(a=1)</TOOLCALL>", "python", True) == [{"f": {"a": 1}}]
    assert decode_prompt_calls("<TOOLCALL>[]</TOOLCALL> f(a=1)", "python", True) == []


def test_json_text_that_is_not_json_decodes_to_no_call():
    assert decode_prompt_calls("", "json") == []
    assert decode_prompt_calls("I cannot help.", "json") == []
    assert decode_prompt_calls('[{"function": "f", "parameters": {"a": 1}', "json") == []
    # a single object: the brackets BFCL adds make it a list
    assert decode_prompt_calls('{"function": "f", "parameters": {"a": 1}}', "json") == [
        {"f": {"a": 1}}
    ]
    # items that are not objects are skipped; an object value iterates its keys
    assert decode_prompt_calls('[1, "x", {"function": "f", "parameters": {}}]', "json") == [
        {"f": {}}
    ]


def test_json_missing_keys_and_uniterable_values_fail():
    with pytest.raises(DecodeError, match="KeyError"):
        decode_prompt_calls('[{"name": "f", "parameters": {}}]', "json")
    with pytest.raises(DecodeError, match="KeyError"):
        decode_prompt_calls('[{"function": "f", "arguments": {}}]', "json")
    with pytest.raises(DecodeError, match="TypeError"):
        decode_prompt_calls('[{"function": ["f"], "parameters": {}}]', "json")


def test_json_parameters_that_are_not_an_object_come_back_for_the_format_check():
    assert decode_prompt_calls('[{"function": "f", "parameters": [1]}]', "json") == [{"f": [1]}]


def test_xml_needs_functions_and_names_and_well_formed_markup():
    for fmt in ("verbose_xml", "concise_xml"):
        with pytest.raises(DecodeError, match="Missing <functions> tag"):
            decode_prompt_calls("[f(a=1)]", fmt)
        with pytest.raises(DecodeError, match="KeyError"):
            decode_prompt_calls('<functions><function id="f"></function></functions>', fmt)
        with pytest.raises(DecodeError, match="ParseError"):
            decode_prompt_calls('<functions><function name="f"></functions>', fmt)
        with pytest.raises(DecodeError, match="ParseError"):
            decode_prompt_calls('<functions><function name="&x;"/></functions>', fmt)


def test_verbose_xml_params_with_or_without_container_and_defaults():
    text = (
        '<functions><function name="f"><param name="a" value="[1, 2]" type="array"/>'
        '<param name="b"/><param value="7" type="integer"/></function></functions>'
    )
    assert decode_prompt_calls(text, "verbose_xml") == [{"f": {"a": [1, 2], "b": "", None: 7}}]
    # the first <params> wins; params outside it are ignored
    text = (
        '<functions><function name="f"><param name="x" value="1"/><params>'
        '<param name="a" value=" t " type="string"/></params></function></functions>'
    )
    assert decode_prompt_calls(text, "verbose_xml") == [{"f": {"a": " t "}}]


def test_concise_xml_params_need_a_name_and_are_stripped():
    with pytest.raises(DecodeError, match="KeyError"):
        decode_prompt_calls(
            '<functions><function name="f"><param>1</param></function></functions>', "concise_xml"
        )
    text = _fn('<param name="d" type="dict"> {"k": (1, 2)} </param>')
    assert decode_prompt_calls(text, "concise_xml") == [{"f": {"d": {"k": (1, 2)}}}]


def test_values_convert_by_their_declared_type_with_literals_only():
    assert convert_value_by_type("12", "integer") == 12
    assert convert_value_by_type("1e3", "float") == 1000.0
    assert convert_value_by_type("TRUE", "boolean") is True
    assert convert_value_by_type("yes", "boolean") is False
    assert convert_value_by_type("anything", "null") is None
    assert convert_value_by_type("(1, 'a')", "tuple") == (1, "a")
    assert convert_value_by_type("7", "number") == "7"  # unknown type: the text
    for raw, kind in (("x", "integer"), ("1.5", "integer"), ("__import__('os')", "array")):
        with pytest.raises((ValueError, SyntaxError)):
            convert_value_by_type(raw, kind)
    text = _fn('<param name="a" value="x" type="integer"/>')
    with pytest.raises(DecodeError, match="ValueError"):
        decode_prompt_calls(text, "verbose_xml")
    text = _fn('<param name="a" type="array">os.system("x")</param>')
    with pytest.raises(DecodeError):
        decode_prompt_calls(text, "concise_xml")


def test_non_text_and_unknown_formats():
    with pytest.raises(DecodeError, match="not text"):
        decode_prompt_calls(["x"], "json")
    with pytest.raises(ValueError, match="unknown return format"):
        decode_prompt_calls("[]", "yaml")


def test_the_prompt_call_format_decodes_with_the_return_format_it_is_given():
    prompt = get_format("prompt")
    assert prompt.runs_format_sensitivity and not get_format("fc").runs_format_sensitivity
    assert prompt.decode(JSON, language="json") == CALLS
    assert (
        prompt.decode(f"<TOOLCALL>{VERBOSE}</TOOLCALL>", language="verbose_xml", tool_call_tag=True)
        == CALLS
    )
    assert prompt.decode("[f(a=1, b='x'), g()]", language="python") == CALLS


def test_the_json_span_is_bfcls_regex_match_without_its_exponential_backtracking():
    import random
    import re
    import time

    from farm.formats.retdecode import JSON_CALLS_PATTERN, json_calls_span

    pattern = re.compile(JSON_CALLS_PATTERN, re.DOTALL)
    rng = random.Random(7)
    for _ in range(30000):
        text = "".join(rng.choice("[]{},  x\n\u00a0") for _ in range(rng.randint(0, 12)))
        match = pattern.search(text)
        assert json_calls_span(text) == (match.group(0) if match else None), repr(text)
    hostile = "[" + ", ".join(["{}"] * 5000) + ", x]"  # the regex would take ~2**5000 steps
    start = time.perf_counter()
    assert decode_prompt_calls(hostile, "json") == []
    assert time.perf_counter() - start < 2
