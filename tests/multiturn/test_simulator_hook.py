"""The simulator answers multi-turn conversations turn by turn from the ground truth."""

from __future__ import annotations

import json

from farm.answers.multiturn import answer_multi_turn, match_case, position
from farm.formats.conversation import ADDITIONAL_FUNCTION_PROMPT

from .helpers import SUITE_EXTRA, ledger_case


def _twins():
    base = ledger_case([["total()"], ["add(item='a')"]], case_id="multi_turn_base_1")
    long = ledger_case(
        [["total()"], ["add(item='b')"]], case_id="multi_turn_long_context_1", long_context=True
    )
    return base, long


def test_the_position_counts_turn_openings_and_assistant_steps() -> None:
    case = ledger_case([["total()"], [], ["describe()"]], missed={"1": []})
    messages = [
        {"role": "system", "content": "tools"},
        {"role": "user", "content": "question 0"},
        {"role": "assistant", "content": "[total()]"},
        {"role": "user", "content": "[{'role': 'tool', 'name': 'total()', 'content': '0'}]"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": f"[...]\n{ADDITIONAL_FUNCTION_PROMPT}"},
    ]
    assert position(case, messages[:2]) == (0, 0)
    assert position(case, messages[:4]) == (0, 1)
    assert position(case, messages) == (1, 0)


def test_step_zero_makes_the_turns_calls_and_later_steps_end_the_turn() -> None:
    case = ledger_case([["add('tea', 2)", "total()"]])
    first = answer_multi_turn(
        case, [{"role": "user", "content": "question 0"}], fc=True, wrong=False
    )
    assert first.tool_calls == [
        ("add", json.dumps({"item": "tea", "amount": 2})),
        ("total", "{}"),
    ]
    prompt = answer_multi_turn(
        case, [{"role": "user", "content": "question 0"}], fc=False, wrong=False
    )
    assert prompt.content == "[add(item='tea', amount=2), total()]"
    later = answer_multi_turn(
        case,
        [{"role": "user", "content": "question 0"}, {"role": "assistant", "content": "x"}],
        fc=True,
        wrong=False,
    )
    assert later.content and not later.tool_calls


def test_twins_with_identical_questions_are_told_apart_by_their_tool_results() -> None:
    base, long = _twins()
    opening = [{"role": "user", "content": "question 0"}]
    assert match_case([base, long], opening, base, SUITE_EXTRA) is base

    def after(total: str):
        return [
            *opening,
            {"role": "assistant", "content": "[total()]"},
            {
                "role": "user",
                "content": repr([{"role": "tool", "name": "total()", "content": total}]),
            },
            {"role": "user", "content": "question 1"},
        ]

    assert match_case([base, long], after("150"), base, SUITE_EXTRA) is long
    assert match_case([base, long], after("0"), base, SUITE_EXTRA) is base


def test_a_conversation_that_leaves_a_case_s_turns_switches_to_the_case_it_follows() -> None:
    base = ledger_case([["total()"], ["describe()"]], case_id="multi_turn_base_2")
    param = ledger_case(
        [["total()"], [], ["describe()"]],
        case_id="multi_turn_miss_param_2",
        questions=["question 0", "which one?", "question 1"],
    )
    messages = [
        {"role": "user", "content": "question 0"},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": "which one?"},
    ]
    assert match_case([base, param], messages, base) is param


def test_an_index_reads_only_the_cases_a_conversation_opens_like(monkeypatch) -> None:
    import farm.answers.multiturn as hook

    base, long = _twins()
    other = ledger_case([["total()"]], case_id="multi_turn_base_9", questions=["elsewhere"])
    index = hook.MultiTurnIndex([other, base, long])
    read: list[str] = []
    openings = hook._openings

    def counting(case):
        read.append(case.case_id)
        return openings(case)

    monkeypatch.setattr(hook, "_openings", counting)
    opening = [{"role": "user", "content": "question 0"}]
    assert hook.match_case(index, opening, None, SUITE_EXTRA) is base
    assert hook.match_case(index, opening, long, SUITE_EXTRA) is long
    assert read == []  # every opening was computed once, when the index was built
    assert index.opened_by("elsewhere") == [other]
    assert index.opened_by(["not", "text"]) == []
    # the same answers as a plain list of cases
    for found in (None, base, long):
        assert hook.match_case([other, base, long], opening, found) is hook.match_case(
            index, opening, found
        )
