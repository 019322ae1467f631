"""Scoring format-sensitivity cases as BFCL's ``format_sensitivity_runner`` does."""

from __future__ import annotations

import pytest

from farm.errors import ScoringError
from farm.scoring import score_case, score_inference_error
from farm.suites.case import Case
from farm.suites.sensitivity import case_decoding

DOC = {
    "name": "f",
    "description": "d",
    "parameters": {
        "type": "dict",
        "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
        "required": ["a"],
    },
}
CONFIG = "ret_fmt={}&tool_call_tag={}&func_doc_fmt=xml&prompt_fmt=plaintext&style=classic"


def fs_case(ret: str, tag: bool, original: str, answer: list | None = None) -> Case:
    answer = answer if answer is not None else [{"f": {"a": [1], "b": ["x", ""]}}]
    return Case(
        f"format_sensitivity_7:{CONFIG.format(ret, tag)}:{original}",
        "format_sensitivity",
        "python",
        [],
        [DOC],
        answer,
        {"original_category": original.rsplit("_", 1)[0]},
    )


def verdict(case: Case, raw: object) -> tuple[bool, str | None]:
    v = score_case(case, raw, mode="prompt", underscore_to_dot=False)
    return v.valid, v.error_type


def test_the_configuration_in_the_id_chooses_decoder_and_tag():
    how = case_decoding(fs_case("concise_xml", True, "live_parallel_3-0-1"))
    assert (how.return_format, how.tool_call_tag, how.language) == ("concise_xml", True, "python")
    assert how.checker_category == "live_parallel_3-0-1" and how.format_sensitivity
    plain = Case("simple_java_1", "simple_java", "java", [], [DOC], [])
    assert case_decoding(plain).return_format == "java" and not case_decoding(plain).tool_call_tag


def test_right_answers_in_each_format_are_valid():
    answers = {
        "python": "[f(a=1)]",
        "json": '[{"function": "f", "parameters": {"a": 1, "b": "x"}}]',
        "verbose_xml": '<functions><function name="f"><param name="a" value="1" type="integer"/>'
        "</function></functions>",
        "concise_xml": '<functions><function name="f"><param name="a" type="integer">1</param>'
        "</function></functions>",
    }
    for ret, text in answers.items():
        assert verdict(fs_case(ret, False, "simple_python_1"), text) == (True, None)
        assert verdict(fs_case(ret, True, "simple_python_1"), f"<TOOLCALL>{text}</TOOLCALL>") == (
            True,
            None,
        )
        # the right calls in the python configuration's syntax fail in every other one
        if ret != "python":
            assert not verdict(fs_case(ret, False, "simple_python_1"), "[f(a=1)]")[0]


def test_decoder_errors_map_to_bfcls_error_types():
    assert verdict(fs_case("python", True, "simple_python_1"), "[f(a=1)]") == (
        False,
        "ast_decoder:decoder_failed",
    )
    assert verdict(fs_case("verbose_xml", False, "simple_python_1"), "no xml") == (
        False,
        "ast_decoder:decoder_failed",
    )
    assert verdict(fs_case("json", False, "simple_python_1"), '[{"function": "f"}]') == (
        False,
        "ast_decoder:decoder_failed",
    )
    assert verdict(
        fs_case("json", False, "simple_python_1"), '[{"function": "f", "parameters": [1]}]'
    ) == (False, "ast_decoder:decoder_wrong_output_format")


@pytest.mark.parametrize(
    ("original", "error_type"),
    [
        ("simple_python_4", "simple_function_checker:wrong_count"),
        ("live_simple_4-1-0", "simple_function_checker:wrong_count"),
        ("multiple_4", "multiple_function_checker:wrong_count"),
        ("parallel_multiple_4", "parallel_function_checker_no_order:wrong_count"),
        ("live_parallel_4-0-0", "parallel_function_checker_no_order:wrong_count"),
    ],
)
def test_the_checker_dispatches_on_the_original_id(original, error_type):
    # text that is not JSON decodes to no call: the checker, not the decoder, fails it
    assert verdict(fs_case("json", False, original), "I cannot do that.") == (False, error_type)


def test_parallel_calls_match_in_any_order():
    answer = [{"f": {"a": [1]}}, {"f": {"a": [2]}}]
    case = fs_case("json", True, "parallel_9", answer)
    calls = '{"function": "f", "parameters": {"a": 2}}, {"function": "f", "parameters": {"a": 1}}'
    text = f"<TOOLCALL>[{calls}]</TOOLCALL>"
    assert verdict(case, text) == (True, None)


def test_fc_modes_refuse_format_sensitivity_cases():
    for mode in ("fc", "hermes"):
        with pytest.raises(ScoringError, match="prompt mode only"):
            score_case(
                fs_case("json", False, "simple_python_1"), "[]", mode=mode, underscore_to_dot=True
            )
    bad = Case("format_sensitivity_x:nope:simple_1", "format_sensitivity", "python", [], [DOC], [])
    with pytest.raises(ScoringError, match="not a format-sensitivity case id"):
        score_case(bad, "[]", mode="prompt", underscore_to_dot=False)


def test_a_failed_inference_scores_bfcls_error_text_in_the_configuration():
    json_case = fs_case("json", False, "multiple_2")
    v = score_inference_error(json_case, "timeout")
    assert (v.valid, v.error_type) == (False, "multiple_function_checker:wrong_count")
    v = score_inference_error(fs_case("python", False, "multiple_2"), "timeout")
    assert (v.valid, v.error_type) == (False, "ast_decoder:decoder_failed")
    # a message that happens to hold the right calls is still no credit
    v = score_inference_error(json_case, '[{"function": "f", "parameters": {"a": 1}}]')
    assert (v.valid, v.error_type) == (False, "ast_decoder:decoder_failed")
