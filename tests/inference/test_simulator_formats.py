"""The simulator answers prompt-mode requests in the return format their system prompt asks for."""

from __future__ import annotations

import pytest

from farm.answers.prompt_calls import prompt_call_text
from farm.formats.retdecode import decode_prompt_calls
from farm.inference import build_request
from farm.models.registry import ModelSpec
from farm.prompts.system import requested_format, system_prompt
from farm.scoring import score_case
from farm.simulator.app import Simulator, prompt_function_docs
from farm.simulator.config import SimulatorConfig
from farm.suites.case import Case
from farm.suites.sensitivity import all_configs, case_id, parse_config

DOC = {
    "name": "trip.plan",
    "description": "Plan a trip.",
    "parameters": {
        "type": "dict",
        "properties": {
            "city": {"type": "string", "description": "City & <state>."},
            "days": {"type": "integer", "description": "Days."},
            "budget": {"type": "float", "description": "Budget."},
            "stops": {"type": "array", "items": {"type": "string"}, "description": "Stops."},
            "prefs": {"type": "dict", "description": "Prefs.", "properties": {}},
            "flex": {"type": "boolean", "description": "Flexible."},
        },
        "required": ["city", "days"],
    },
}
ANSWER = [
    {"trip.plan": {"city": ['Paris "FR" & co'], "days": [3], "budget": [99.5], "flex": [True]}},
    {"trip.plan": {"city": ["Rome"], "days": [2], "stops": [["a", "b'c"]], "prefs": [{"k": [1]}]}},
]
ORIGINAL = Case(
    "parallel_7",
    "parallel",
    "python",
    [[{"role": "user", "content": "Plan Paris and Rome."}]],
    [DOC],
    ANSWER,
    position=7,
)


def clones() -> list[Case]:
    return [
        Case(
            case_id(i, config, ORIGINAL.case_id),
            "format_sensitivity",
            "python",
            ORIGINAL.turns,
            [DOC],
            ANSWER,
            {"original_category": "parallel", "config": config},
            position=i,
        )
        for i, config in enumerate(all_configs())
    ]


def reply(sim: Simulator, case: Case) -> str:
    request = build_request(case, ModelSpec(key="x", mode="prompt"))
    content = sim.reply_for({"messages": request.messages}).content
    assert isinstance(content, str)
    return content


@pytest.mark.parametrize("wrong_rate", [0.0, 1.0])
def test_every_configuration_is_answered_in_its_format_and_scores(wrong_rate):
    cases = clones()
    sim = Simulator([ORIGINAL, *cases], SimulatorConfig(wrong_rate=wrong_rate))
    for case in cases:
        text = reply(sim, case)
        cfg = parse_config(case.extra["config"])
        assert text.startswith("<TOOLCALL>") is cfg.tool_call_tag
        body = text.removeprefix("<TOOLCALL>")
        first = {"python": "[trip.plan(", "json": '[{"function"', "verbose_xml": "<functions>"}
        assert body.startswith(first.get(cfg.return_format, "<functions>"))
        verdict = score_case(case, text, mode="prompt", underscore_to_dot=False)
        assert verdict.valid is (wrong_rate == 0.0), (case.case_id, text, verdict)


def test_the_requested_format_is_read_from_the_system_prompt():
    for config in all_configs():
        cfg = parse_config(config)
        text = system_prompt([DOC], config)
        assert requested_format(text) == (cfg.return_format, cfg.tool_call_tag)
        docs = prompt_function_docs([{"role": "system", "content": text}])
        assert docs is not None and [d["name"] for d in docs] == ["trip.plan"]
    assert requested_format("You are a helpful assistant.") is None


def test_renderings_decode_back_to_the_same_calls():
    calls = [("f", {"s": ' <x> & "y" ', "n": None, "t": (1, 2), "d": {"k": [1.5]}})]
    for ret in ("json", "verbose_xml", "concise_xml", "python"):
        for tag in (False, True):
            decoded = decode_prompt_calls(prompt_call_text(calls, ret, tag), ret, tag)
            value = decoded[0]["f"]
            if ret == "concise_xml":  # BFCL strips concise text
                assert value["s"] == calls[0][1]["s"].strip()
            else:
                assert value["s"] == calls[0][1]["s"]
            assert value["d"] == {"k": [1.5]}
            assert list(value["t"]) == [1, 2]
    with pytest.raises(ValueError, match="unknown return format"):
        prompt_call_text(calls, "yaml", False)
