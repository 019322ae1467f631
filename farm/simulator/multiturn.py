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
from collections.abc import Sequence
from typing import Any

from farm.errors import SuiteError
from farm.multiturn.loop import ADDITIONAL_FUNCTION_PROMPT
from farm.multiturn.replay import KeywordCall, doc_parameters, keyword_call
from farm.simulator.answers import Reply
from farm.suites.case import Case

#: The text the simulated model answers when it makes no call.
DONE_TEXT = "I have completed the request."
NO_ACTION_TEXT = "I cannot do that with the available functions and information."


def position(case: Case, messages: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """(turn index, step index) of the next reply in ``messages`` for ``case``."""
    holdout = case.extra.get("missed_function") or {}
    openings: list[str | None] = []
    for index, turn_messages in enumerate(case.turns):
        if str(index) in holdout:
            openings.append(None)  # the reveal message
            continue
        users = [str(m.get("content") or "") for m in turn_messages if m.get("role") == "user"]
        openings.append(users[-1] if users else None)
    turn, step = -1, 0
    for message in messages:
        role = message.get("role")
        content = str(message.get("content") or "")
        nxt = turn + 1
        if role == "user" and nxt < len(openings):
            expected = openings[nxt]
            if (expected is not None and content == expected) or (
                expected is None and content.endswith(ADDITIONAL_FUNCTION_PROMPT)
            ):
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
    case: Case, messages: list[dict[str, Any]], *, fc: bool, wrong: bool
) -> Reply:
    """The simulated model's reply to the conversation ``messages`` about ``case``."""
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
