"""The conversation loop talks to the model as BFCL does and records BFCL's result shape."""

from __future__ import annotations

import ast
import asyncio
import json

import pytest

from farm.benchmarks.bfcl.conversation import MAXIMUM_STEP_LIMIT, run_conversation
from farm.config import get_settings
from farm.endpoints.pool import EndpointPool
from farm.errors import EndpointPermanent
from farm.formats.conversation import ADDITIONAL_FUNCTION_PROMPT
from farm.multiturn.checker import score_multi_turn
from farm.resolve import resolve_model
from farm.suites.wheel import read_wheel

from .helpers import LEDGER_DOCS, SUITE_EXTRA, ScriptedPool, calls, ledger_case, text


def _spec(mode: str):
    return resolve_model(get_settings(), "fake/oracle").model_copy(update={"mode": mode})


def _run(case, mode, pool, extra=SUITE_EXTRA):
    return asyncio.run(run_conversation(case, _spec(mode), pool, extra))


def test_fc_results_come_back_as_tool_messages_with_their_call_ids() -> None:
    case = ledger_case([["add(item='tea')", "total()"]])
    script = [calls(("add", '{"item": "tea"}'), ("total", "{}")), text("All done.")]
    pool = ScriptedPool(lambda request, i: script[i])
    outcome = _run(case, "fc", pool)
    assert outcome.raw_output == [[[{"add": '{"item": "tea"}'}, {"total": "{}"}], "All done."]]
    second = pool.requests[1]
    assert second.messages[0] == {"role": "user", "content": "question 0"}
    assistant = second.messages[1]
    assert assistant["role"] == "assistant"
    assert [c["id"] for c in assistant["tool_calls"]] == ["id0", "id1"]
    assert second.messages[2:] == [
        {"role": "tool", "content": '{"count": 1}', "tool_call_id": "id0"},
        {"role": "tool", "content": "1", "tool_call_id": "id1"},
    ]
    assert [t["function"]["name"] for t in second.tools] == ["add", "total", "describe"]
    assert outcome.log["input_token_count"] == [[3, 3]]
    assert (outcome.input_tokens, outcome.attempts, outcome.endpoint) == (6, 2, "script")


def test_prompt_results_come_back_as_one_user_message_with_the_repr_of_tool_dicts() -> None:
    case = ledger_case([["add(item='tea')", "total()"]])
    script = [text("[add(item='tea'), total()]"), text("Done")]
    pool = ScriptedPool(lambda request, i: script[i])
    outcome = _run(case, "prompt", pool)
    assert outcome.raw_output == [["[add(item='tea'), total()]", "Done"]]
    first, second = pool.requests
    assert first.messages[0]["role"] == "system"
    assert "Here is a list of functions in json format" in first.messages[0]["content"]
    assert first.tools is None
    feedback = second.messages[-1]
    assert feedback["role"] == "user"
    assert ast.literal_eval(feedback["content"]) == [
        {"role": "tool", "name": "add(item='tea')", "content": '{"count": 1}'},
        {"role": "tool", "name": "total()", "content": "1"},
    ]


def _missed_case():
    revealed = [
        {
            "name": "describe",
            "description": "Who owns the ledger.",
            "parameters": {"type": "dict", "properties": {}, "required": []},
        }
    ]
    case = ledger_case(
        [[], ["describe()"]], case_id="multi_turn_miss_func_4", missed={"1": revealed}
    )
    functions = [d for d in LEDGER_DOCS if d["name"] != "describe"]
    return type(case)(**{**{f: getattr(case, f) for f in case.__slots__}, "functions": functions})


def test_miss_func_reveals_the_held_out_functions_with_bfcls_sentence_in_fc() -> None:
    case = _missed_case()
    script = [text("I cannot."), calls(("describe", "{}")), text("It is Ada's.")]
    pool = ScriptedPool(lambda request, i: script[i])
    outcome = _run(case, "fc", pool)
    assert outcome.raw_output == [["I cannot."], [[{"describe": "{}"}], "It is Ada's."]]
    assert [t["function"]["name"] for t in pool.requests[0].tools] == ["add", "total"]
    assert [t["function"]["name"] for t in pool.requests[1].tools] == ["add", "total", "describe"]
    assert pool.requests[1].messages[-1] == {"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}
    assert score_multi_turn(
        case, outcome.raw_output, mode="fc", underscore_to_dot=False, suite_extra=SUITE_EXTRA
    ).valid


def test_miss_func_in_prompt_mode_puts_the_docs_in_the_user_message() -> None:
    case = _missed_case()
    script = [text("I cannot."), text("[describe()]"), text("Ada.")]
    pool = ScriptedPool(lambda request, i: script[i])
    _run(case, "prompt", pool)
    reveal = pool.requests[1].messages[-1]["content"]
    assert reveal == f"{case.extra['missed_function']['1']}\n{ADDITIONAL_FUNCTION_PROMPT}"
    assert '"describe"' not in pool.requests[1].messages[0]["content"]


def test_a_model_that_never_stops_is_force_quit_after_the_step_limit() -> None:
    case = ledger_case([["total()"], ["total()"]])
    pool = ScriptedPool(lambda request, i: calls(("total", "{}")))
    outcome = _run(case, "fc", pool)
    assert len(outcome.raw_output) == 1
    assert len(outcome.raw_output[0]) == MAXIMUM_STEP_LIMIT + 1
    assert outcome.log["force_quit"] is True
    verdict = score_multi_turn(
        case, outcome.raw_output, mode="fc", underscore_to_dot=False, suite_extra=SUITE_EXTRA
    )
    assert verdict.error_type == "multi_turn:force_terminated"


def test_an_undecodable_reply_ends_the_turn_and_the_next_turn_goes_on() -> None:
    case = ledger_case([["total()"], ["describe()"]])
    script = [text("```python\n[total()]\n```"), text("[describe()]"), text("ok")]
    pool = ScriptedPool(lambda request, i: script[i])
    outcome = _run(case, "prompt", pool)
    assert outcome.raw_output == [["```python\n[total()]\n```"], ["[describe()]", "ok"]]


def test_an_endpoint_failure_mid_conversation_is_a_failed_inference() -> None:
    case = ledger_case([["total()"], ["describe()"]])

    def reply(request, i):
        if i == 2:
            raise EndpointPermanent("HTTP 400: context too long")
        return [calls(("total", "{}")), text("ok")][i]

    outcome = _run(case, "fc", ScriptedPool(reply))
    assert outcome.raw_output is None
    assert outcome.error_type == "endpoint_permanent"
    assert "context too long" in outcome.error_message


def test_hostile_tool_calls_are_answered_with_errors_and_the_loop_goes_on() -> None:
    case = ledger_case([["total()"]])
    script = [
        calls(("__import__", '{"name": "os"}'), ("_wipe", "{}"), ("LedgerAPI.total", "{}")),
        text("fine"),
    ]
    pool = ScriptedPool(lambda request, i: script[i])
    _run(case, "fc", pool)
    contents = [m["content"] for m in pool.requests[1].messages if m["role"] == "tool"]
    assert contents == [
        "Error during execution: name '__import__' is not defined",
        "Error during execution: name '_wipe' is not defined",
        "Error during execution: name 'LedgerAPI' is not defined",
    ]


def test_a_suite_without_environment_sources_fails_the_case_cleanly() -> None:
    outcome = _run(ledger_case([["total()"]]), "fc", ScriptedPool(lambda r, i: text("x")), {})
    assert outcome.raw_output is None and outcome.error_type == "environment"


@pytest.mark.parametrize("key", ["fake/oracle", "fake/oracle-prompt"])
def test_the_fake_oracle_passes_real_cases_of_every_multi_turn_category(bfcl_wheel, key) -> None:
    suite = read_wheel(bfcl_wheel)
    cases = [c for c in suite.cases if c.category.startswith("multi_turn") and c.position < 6]
    settings = get_settings()
    spec = resolve_model(settings, key)

    async def go():
        async with EndpointPool(spec, settings) as pool:
            return [await run_conversation(c, spec, pool, suite.extra) for c in cases]

    outcomes = asyncio.run(go())
    for case, outcome in zip(cases, outcomes, strict=True):
        verdict = score_multi_turn(
            case, outcome.raw_output, mode=spec.mode, underscore_to_dot=False,
            suite_extra=suite.extra,
        )  # fmt: skip
        assert verdict.valid, (case.case_id, verdict.error_type, json.dumps(verdict.detail)[:300])


def test_multi_turn_requests_never_force_tool_calls() -> None:
    case = ledger_case([["total()"]])
    pool = ScriptedPool(lambda request, i: text("nothing to do"))
    spec = _spec("fc").model_copy(update={"tool_choice": "required"})
    asyncio.run(run_conversation(case, spec, pool, SUITE_EXTRA))
    assert pool.requests[0].tool_choice is None


def test_tools_are_converted_once_per_set_of_docs_and_each_request_keeps_its_own_history(
    monkeypatch,
) -> None:
    import farm.formats.fc as fc

    converted: list[int] = []
    convert = fc.to_openai_tools

    def counting(docs, *, copy):
        converted.append(len(docs))
        return convert(docs, copy=copy)

    monkeypatch.setattr(fc, "to_openai_tools", counting)
    case = _missed_case()
    script = [
        text("I cannot."),
        calls(("describe", "{}")),
        calls(("total", "{}")),
        text("It is Ada's."),
    ]
    sent: list[str] = []

    def reply(request, i):
        sent.append(json.dumps(request.messages))  # what went over the wire, at send time
        return script[i]

    pool = ScriptedPool(reply)
    outcome = _run(case, "fc", pool)
    assert outcome.raw_output == [
        ["I cannot."],
        [[{"describe": "{}"}], [{"total": "{}"}], "It is Ada's."],
    ]
    # two sets of docs (before and after the reveal), four requests
    assert converted == [2, 3]
    assert pool.requests[1].tools is pool.requests[2].tools is pool.requests[3].tools
    # later steps never show up in an earlier request's messages
    assert [json.dumps(r.messages) for r in pool.requests] == sent
    assert [len(r.messages) for r in pool.requests] == [1, 3, 5, 7]
