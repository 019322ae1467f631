"""Call formats are strategies looked up by name; a new one is one class and no list."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from farm.endpoints.types import Completion, ToolCall
from farm.errors import ConfigError
from farm.formats import call_format, format_names, get_format
from farm.formats.fc import FunctionCalling
from farm.formats.pydecode import DecodeError
from farm.inference import build_request, raw_output
from farm.models.registry import ModelSpec
from farm.scoring import score_case
from farm.suites.case import Case

TAG = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


@call_format("test-tagged")
class Tagged(FunctionCalling):
    """Native tools out; the model writes ``<tool_call>{"name", "arguments"}</tool_call>``."""

    def decode(self, reply: Any, *, language: str) -> Any:
        if isinstance(reply, str) and "<tool_call>" in reply:
            try:
                calls = [json.loads(body) for body in TAG.findall(reply)]
            except ValueError as exc:
                raise DecodeError(str(exc)) from None
            return [{c["name"]: c["arguments"]} for c in calls]
        return super().decode(reply, language=language)


CASE = Case(
    case_id="simple_python_0",
    category="simple_python",
    language="python",
    turns=[[{"role": "user", "content": "Add 1 and 2."}]],
    functions=[
        {
            "name": "add",
            "description": "Add two integers.",
            "parameters": {
                "type": "dict",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        }
    ],
    answer=[{"add": {"a": [1], "b": [2]}}],
)


def test_the_built_in_formats_are_fc_and_prompt_and_unknown_names_are_refused():
    assert {"fc", "prompt"} <= set(format_names())
    with pytest.raises(ConfigError, match="unknown mode 'chat'.*fc.*prompt"):
        get_format("chat")
    with pytest.raises(ValueError, match="unknown mode 'chat'"):
        ModelSpec(key="m", mode="chat")


def test_fc_offers_tools_and_prompt_offers_a_system_prompt():
    fc = build_request(CASE, ModelSpec(key="m", mode="fc"))
    prompt = build_request(CASE, ModelSpec(key="m", mode="prompt"))
    assert fc.tools is not None and fc.tools[0]["function"]["name"] == "add"
    assert fc.messages == CASE.turns[0]
    assert prompt.tools is None
    assert prompt.messages is not None and prompt.messages[0]["role"] == "system"
    assert "add" in prompt.messages[0]["content"]


def test_a_format_registered_outside_the_package_decodes_calls_written_in_the_text():
    spec = ModelSpec(key="m", mode="test-tagged")
    assert spec.dots_replaced  # inherited from fc: names went out with "_"
    assert build_request(CASE, spec).tools is not None
    text = 'Sure. <tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'
    reply = raw_output(Completion(content=text), "test-tagged")
    assert reply == text
    assert score_case(CASE, reply, mode="test-tagged", underscore_to_dot=True).valid
    wrong = text.replace('"b": 2', '"b": 3')
    verdict = score_case(CASE, wrong, mode="test-tagged", underscore_to_dot=True)
    assert not verdict.valid and verdict.error_type == "value_error:others"
    # native tool calls still decode as FC
    native = raw_output(Completion(None, (ToolCall("add", '{"a": 1, "b": 2}', "c0"),)), "fc")
    assert score_case(CASE, native, mode="test-tagged", underscore_to_dot=True).valid


def test_a_format_name_is_registered_once():
    with pytest.raises(ConfigError, match="registered twice"):
        call_format("fc")(FunctionCalling)
