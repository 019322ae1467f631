"""Protocol deviations are data: the inputs of issue 14's "Why", call_info, call formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from farm.config import load_settings
from farm.endpoints.client import parse_completion
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient
from farm.formats.reply import decode_reply, truncation_kind
from farm.models.registry import lookup_model
from farm.resolve import resolve_model
from farm.scoring import score_case
from farm.suites.case import Case

DOC = {
    "name": "calculate_triangle_area",
    "description": "Calculate the area of a triangle given its base and height.",
    "parameters": {
        "type": "dict",
        "properties": {
            "base": {"type": "integer", "description": "The base of the triangle."},
            "height": {"type": "integer", "description": "The height of the triangle."},
            "unit": {"type": "string", "description": "The unit of measure."},
        },
        "required": ["base", "height"],
    },
}
SIMPLE = Case(
    "simple_python_0",
    "simple_python",
    "python",
    [],
    [DOC],
    [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}],
)
IRRELEVANCE = Case("irrelevance_0", "irrelevance", "python", [], [DOC], None)


def _body(message: dict[str, Any], finish: str | None = "tool_calls") -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": {}}


def _score(case: Case, body: dict[str, Any], call_format: str = "fc") -> tuple[Any, Any]:
    completion = parse_completion(body, label="test", chat=True)
    raw, info = decode_reply(completion, mode=call_format, docs=case.functions)
    return score_case(case, raw, mode=call_format, underscore_to_dot=True), info


OBJECT_ARGS = _body(
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {
                    "name": "calculate_triangle_area",
                    "arguments": {"base": 10, "height": 5},
                },
            }
        ],
    }
)


def test_arguments_objects_score_valid_and_are_a_call_on_irrelevance() -> None:
    verdict, info = _score(SIMPLE, OBJECT_ARGS)
    assert verdict.valid and info["deviations"] == ["arguments_object"]
    assert info["parsed_by"] == "server" and info["content"] == "null"
    wrong, _ = _score(IRRELEVANCE, OBJECT_ARGS)
    assert (wrong.valid, wrong.error_type) == (False, "irrelevance_error:decoder_success")


@pytest.mark.parametrize(
    ("text", "family"),
    [
        (
            '<tool_call>\n{"name": "calculate_triangle_area", "arguments": {"base": 10, '
            '"height": 5}}\n</tool_call>',
            "hermes",
        ),
        ('calculate_triangle_area\n{"base": 10, "height": 5}', "glm4"),
        ('{"name": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}}', "json"),
        (
            '```json\n{"name": "calculate_triangle_area", "arguments": {"base": 10, '
            '"height": 5}}\n```',
            "json",
        ),
    ],
)
def test_calls_as_text_give_the_right_verdicts_with_the_family_format(
    text: str, family: str
) -> None:
    body = _body({"role": "assistant", "content": text}, "stop")
    plain, info = _score(SIMPLE, body)
    assert (plain.valid, plain.error_type) == (False, "ast_decoder:decoder_failed")
    assert info["deviations"] == [f"calls_as_text:{family}"] and info["parsed_by"] is None
    parsed, info = _score(SIMPLE, body, family)
    assert parsed.valid and info["parsed_by"] == "client" and info["text"] == text
    irrelevant, _ = _score(IRRELEVANCE, body, family)
    assert irrelevant.error_type == "irrelevance_error:decoder_success"


def test_call_info_keeps_finish_reason_null_content_and_reasoning() -> None:
    _, info = _score(SIMPLE, _body({"role": "assistant", "content": ""}, None))
    assert info["content"] == "empty" and "no_finish_reason" in info["deviations"]
    body = _body({"role": "assistant", "content": "Hi", "reasoning_content": "think…"}, "length")
    verdict, info = _score(IRRELEVANCE, body)
    assert info["reasoning"] == "think…" and info["finish_reason"] == "length"
    body = _body({"role": "assistant", "content": None, "reasoning": "newer field"}, "stop")
    _, info = _score(SIMPLE, body)
    assert info["reasoning"] == "newer field" and info["content"] == "null"
    assert truncation_kind(False, "x", {"finish_reason": "length"}) == "inference:output_truncated"
    assert truncation_kind(True, None, {"finish_reason": "length"}) is None
    assert truncation_kind(False, "x", {"finish_reason": "stop"}) == "x"


def test_presets_name_their_format_and_the_command_line_overrides(farm_home: Path) -> None:
    settings = load_settings()
    assert lookup_model(settings, "qwen3-8b").mode == "hermes"
    glm = lookup_model(settings, "glm-4-9b-chat")
    assert (glm.mode, glm.tool_choice, glm.dots_replaced) == ("glm4", "none", True)
    assert lookup_model(settings, "llama-4-scout-17b-16e-instruct").mode == "pythonic"
    url = "http://127.0.0.1:9/v1"
    assert resolve_model(settings, "qwen3-8b", endpoint=url, call_format="json").mode == "json"
    assert resolve_model(settings, "qwen3-8b", endpoint=url, mode="prompt").mode == "prompt"
    adhoc = resolve_model(settings, "any", endpoint=url, mode="fc", call_format="glm45")
    assert adhoc.mode == "glm45"
    with pytest.raises(ConfigError, match="unknown call format 'nope'"):
        resolve_model(settings, "qwen3-8b", endpoint=url, call_format="nope")
    with pytest.raises(ConfigError, match="contradicts --mode prompt"):
        resolve_model(settings, "qwen3-8b", endpoint=url, mode="prompt", call_format="hermes")


def test_the_toml_registry_overrides_a_presets_format(farm_home: Path) -> None:
    (farm_home).mkdir(parents=True, exist_ok=True)
    (farm_home / "models.toml").write_text(
        '[models."qwen3-8b"]\ncall_format = "qwen3_coder"\n'
        '[models."bad"]\nendpoints = [{ base_url = "http://127.0.0.1:9/v1" }]\n'
        'call_format = "nope"\n'
    )
    settings = load_settings()
    assert lookup_model(settings, "qwen3-8b").mode == "qwen3_coder"
    with pytest.raises(ConfigError, match="unknown mode 'nope'"):
        lookup_model(settings, "bad")


@pytest.mark.parametrize(
    ("arguments", "deviation"),
    [
        ("[10, 5]", "arguments_not_object"),
        (5, "arguments_not_object"),
        ([10, 5], "arguments_not_object"),
        ('"{\\"base\\": 10, \\"height\\": 5}"', "arguments_not_object"),  # double-encoded
        ('{"base": 10, "height"', "arguments_invalid_json"),
    ],
)
def test_arguments_that_are_no_object_are_flagged(arguments: Any, deviation: str) -> None:
    """BFCL credits such a call on irrelevance as no call: the flag shows there was one."""
    call = {"id": "c", "type": "function"}
    call["function"] = {"name": "calculate_triangle_area", "arguments": arguments}  # type: ignore[assignment]
    body = _body({"role": "assistant", "content": None, "tool_calls": [call]})
    verdict, info = _score(IRRELEVANCE, body)
    assert info["deviations"] == [deviation] and info["parsed_by"] == "server"
    assert verdict.valid  # BFCL's verdict is kept
    wrong, _ = _score(SIMPLE, body)
    assert not wrong.valid


def test_a_200_with_an_error_object_or_no_choices_says_so_in_one_line() -> None:
    error = {"error": {"message": "model overloaded", "type": "invalid_request_error"}}
    with pytest.raises(
        EndpointPermanent, match=r"^http://h/v1: error in a 200 answer: model overloaded$"
    ):
        parse_completion(error, label="http://h/v1", chat=True)
    with pytest.raises(EndpointPermanent, match=r"^http://h/v1: malformed response: no choices$"):
        parse_completion({"id": "x", "choices": []}, label="http://h/v1", chat=True)


@pytest.mark.parametrize("code", [503, "502", 429])
def test_a_200_with_an_overload_error_object_is_retried(code: object) -> None:
    error = {"error": {"message": "upstream overloaded", "code": code}}
    with pytest.raises(EndpointTransient, match="error in a 200 answer: upstream overloaded"):
        parse_completion(error, label="http://h/v1", chat=True)
    bad_request = {"error": {"message": "bad tool schema", "code": 400}}
    with pytest.raises(EndpointPermanent):
        parse_completion(bad_request, label="http://h/v1", chat=True)
