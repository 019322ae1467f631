"""The simulator's answers to multi-turn requests, turn by turn and step by step.

The conversation so far tells where the model is: the turn is the number of the case's turn
openings (each turn's last user message, or the holdout reveal sentence) found in the
history, and the step is the number of assistant messages since that opening. At step 0 of a
turn the simulated model makes all of the turn's ground-truth calls (positional arguments
named from the function docs, whose order follows BFCL's signatures); at any later step, or
when the turn's ground truth is empty, it answers with text, which ends the turn. A "wrong"
case answers its first turn that needs calls with text instead
(``multi_turn:empty_turn_model_response``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from farm.errors import SuiteError
from farm.multiturn.loop import ADDITIONAL_FUNCTION_PROMPT
from farm.multiturn.replay import KeywordCall, doc_parameters, keyword_call
from farm.simulator.answers import Reply
from farm.suites.case import Case

#: The text the simulated model answers when it makes no call.
DONE_TEXT = "I have completed the request."
NO_ACTION_TEXT = "I cannot do that with the available functions and information."


def _openings(case: Case) -> list[str | None]:
    """Each turn's last user message; ``None`` for a holdout (reveal) turn."""
    holdout = case.extra.get("missed_function") or {}
    openings: list[str | None] = []
    for index, turn_messages in enumerate(case.turns):
        if str(index) in holdout:
            openings.append(None)
            continue
        users = [str(m.get("content") or "") for m in turn_messages if m.get("role") == "user"]
        openings.append(users[-1] if users else None)
    return openings


def _opens(expected: str | None, content: str) -> bool:
    if expected is None:
        return content.endswith(ADDITIONAL_FUNCTION_PROMPT)
    return content == expected


def follows(case: Case, messages: Sequence[dict[str, Any]]) -> bool:
    """Whether every user message of ``messages`` is one of ``case``'s turns, in order.

    Tool results fed back in prompt mode (a user message holding ``repr`` of tool dicts)
    are skipped.
    """
    openings = _openings(case)
    turn = -1
    for message in messages:
        if message.get("role") != "user":
            continue
        content = str(message.get("content") or "")
        if turn + 1 < len(openings) and _opens(openings[turn + 1], content):
            turn += 1
        elif not content.startswith("[{'role': 'tool'"):
            return False
    return turn >= 0


def match_case(
    cases: Sequence[Case], messages: Sequence[dict[str, Any]], found: Case | None
) -> Case | None:
    """The multi-turn case the conversation follows, preferring ``found``.

    BFCL's multi-turn categories share questions (miss_param inserts turns into base
    conversations, long_context repeats them), so a lookup by one message can land on a
    sibling; the whole sequence of turns decides. Cases with identical turns (base and
    long_context twins) stay indistinguishable: the first one wins.
    """
    if found is not None and not found.category.startswith("multi_turn"):
        return found
    if found is not None and follows(found, messages):
        return found
    first_user = next((m for m in messages if m.get("role") == "user"), None)
    for case in cases:
        if not case.category.startswith("multi_turn") or not case.turns:
            continue
        openings = _openings(case)
        if first_user is None or not openings or openings[0] != first_user.get("content"):
            continue
        if follows(case, messages):
            return case
    return found


def position(case: Case, messages: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(turn index, step index) of the next reply in ``messages`` for ``case``."""
    openings = _openings(case)
    turn, step = -1, 0
    for message in messages:
        role = message.get("role")
        content = str(message.get("content") or "")
        nxt = turn + 1
        if role == "user" and nxt < len(openings):
            if _opens(openings[nxt], content):
                turn, step = nxt, 0
                continue
        if role == "assistant":
            step += 1
    return max(turn, 0), step


def turn_calls(case: Case, turn: int) -> list[KeywordCall]:
    """The ground truth of one turn as keyword calls."""
    answer = case.answer or []
    if turn >= len(answer):
        return []
    missed = [d for docs in (case.extra.get("missed_function") or {}).values() for d in docs]
    parameters = doc_parameters([*case.functions, *missed])
    try:
        return [keyword_call(call, parameters) for call in answer[turn]]
    except SuiteError:
        return []


def answer_multi_turn(
    case: Case,
    messages: list[dict[str, Any]],
    *,
    fc: bool,
    wrong: bool,
    suite_extra: Mapping[str, Any] | None = None,
) -> Reply:
    """The simulated model's reply to the conversation ``messages`` about ``case``.

    ``suite_extra`` (the suite's environment sources) is accepted for the hook's signature;
    the answers come from the ground truth and the function docs alone.
    """
    del suite_extra
    turn, step = position(case, messages)
    calls = turn_calls(case, turn)
    if wrong and calls:
        first_needed = next((i for i, t in enumerate(case.answer or []) if t), None)
        if first_needed == turn:
            return Reply(content=NO_ACTION_TEXT)
    if step > 0 or not calls:
        return Reply(content=DONE_TEXT if calls else NO_ACTION_TEXT)
    if fc:
        return Reply(tool_calls=[(c.name, json.dumps(c.arguments)) for c in calls])
    return Reply(content="[" + ", ".join(c.as_prompt_text() for c in calls) + "]")
