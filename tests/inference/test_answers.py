"""How the simulator reads a request and renders a ground truth (no sockets)."""

from __future__ import annotations

import json

from farm.answers.ground_truth import answer_single_turn
from farm.answers.sources import java_source
from farm.endpoints.types import Completion, ToolCall
from farm.inference import build_request, raw_output
from farm.models.registry import ModelSpec
from farm.scoring import score_case
from farm.simulator.app import Simulator
from farm.simulator.config import SimulatorConfig
from farm.suites.case import Case


def doc(name, description, **props):
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "dict", "properties": props, "required": list(props)},
    }


def case(case_id, category, functions, answer, question="Turn on the lights.", language="python"):
    return Case(
        case_id=case_id,
        category=category,
        language=language,
        turns=[[{"role": "user", "content": question}]],
        functions=functions,
        answer=answer,
    )


def ask(sim: Simulator, c: Case, mode: str) -> Case | None:
    req = build_request(c, ModelSpec(key="x", mode=mode))
    payload = {"messages": req.messages, **({"tools": req.tools} if req.tools else {})}
    return sim.find_case(payload)[0]


def test_twins_with_the_same_question_and_names_are_told_apart():
    room = {"type": "string", "description": "Room."}
    a = case(
        "live_simple_1-1-0",
        "live_simple",
        [doc("lights.on", "Switch lights on.", room=room)],
        [{"lights.on": {"room": ["hall"]}}],
    )
    b = case(
        "live_irrelevance_9-1-0",
        "live_irrelevance",
        [doc("lights.on", "Order a pizza.", room=room)],
        None,
    )
    sim = Simulator([a, b], SimulatorConfig())
    for mode in ("fc", "prompt"):
        assert ask(sim, a, mode) is a and ask(sim, b, mode) is b


def test_arguments_the_function_does_not_declare_are_left_out():
    c = case(
        "simple_python_1",
        "simple_python",
        [doc("f", "F.", x={"type": "integer", "description": "X."})],
        [{"f": {"x": [1], "ghost": ["", 0.1]}}],
    )
    reply = answer_single_turn(c, fc=True, wrong=False)
    assert reply.tool_calls == [("f", '{"x": 1}')]


def test_java_values_are_written_as_java_source():
    assert java_source(3000, {"type": "long"}, quote_strings=False) == "3000L"
    assert java_source(1.5, {"type": "float"}, quote_strings=False) == "1.5f"
    assert java_source(True, {"type": "boolean"}, quote_strings=False) == "true"
    assert java_source("conn", {"type": "any"}, quote_strings=False) == "conn"
    assert java_source("conn", {"type": "String"}, quote_strings=True) == '"conn"'
    assert (
        java_source(
            [1, 2], {"type": "ArrayList", "items": {"type": "integer"}}, quote_strings=False
        )
        == "new ArrayList<>(Arrays.asList(1, 2))"
    )
    assert (
        java_source([2, 7], {"type": "Array", "items": {"type": "integer"}}, quote_strings=False)
        == "new int[]{2, 7}"
    )
    assert java_source({"a": 1, "b": "x"}, {"type": "HashMap"}, quote_strings=False) == (
        'new HashMap<String, Object>() {{ put("a", 1); put("b", "x"); }}'
    )


def test_a_java_answer_in_fc_mode_scores_correct():
    functions = [
        doc(
            "Pool.resize",
            "Resize.",
            size={"type": "long", "description": "Size."},
            ids={"type": "ArrayList", "description": "Ids.", "items": {"type": "integer"}},
        )
    ]
    c = case(
        "simple_java_9",
        "simple_java",
        functions,
        [{"Pool.resize": {"size": [64], "ids": [[1, 2, 3]]}}],
        question="Resize.",
        language="java",
    )
    reply = answer_single_turn(c, fc=True, wrong=False)
    ((name, arguments),) = reply.tool_calls
    assert name == "Pool_resize"
    assert json.loads(arguments) == {
        "size": "64L",
        "ids": "new ArrayList<>(Arrays.asList(1, 2, 3))",
    }
    completion = Completion(content=None, tool_calls=(ToolCall(name, arguments),))
    verdict = score_case(c, raw_output(completion, "fc"), mode="fc", underscore_to_dot=True)
    assert verdict.valid, verdict


def test_a_wrong_answer_fails_scoring_and_a_right_one_passes():
    c = case(
        "simple_python_2",
        "simple_python",
        [doc("f", "F.", x={"type": "integer", "description": "X."})],
        [{"f": {"x": [1]}}],
    )
    for wrong in (False, True):
        text = answer_single_turn(c, fc=False, wrong=wrong).content
        assert score_case(c, text, mode="prompt", underscore_to_dot=False).valid is not wrong
