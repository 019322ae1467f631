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

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

from farm.answers.reply import Reply
from farm.errors import SuiteError
from farm.formats.conversation import ADDITIONAL_FUNCTION_PROMPT
from farm.multiturn.replay import KeywordCall, doc_parameters, keyword_call
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


def follows(
    case: Case,
    messages: Sequence[dict[str, Any]],
    openings: Sequence[str | None] | None = None,
) -> bool:
    """Whether every user message of ``messages`` is one of ``case``'s turns, in order.

    Tool results fed back in prompt mode (a user message holding ``repr`` of tool dicts)
    are skipped. ``openings`` are the case's turn openings when already known.
    """
    openings = _openings(case) if openings is None else openings
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


class MultiTurnIndex:
    """The multi-turn cases of a suite by their first turn's opening, openings computed once.

    A lookup by the conversation's first user message gives the cases it can follow in
    suite order, so :func:`match_case` reads a handful of cases per request instead of the
    whole suite (the simulator answers thousands of multi-turn steps per run).
    """

    def __init__(self, cases: Sequence[Case]) -> None:
        self._openings: dict[int, list[str | None]] = {}
        self._by_first: dict[str | None, list[Case]] = {}
        for case in cases:
            if not case.category.startswith("multi_turn") or not case.turns:
                continue
            openings = _openings(case)
            self._openings[id(case)] = openings
            self._by_first.setdefault(openings[0], []).append(case)

    def openings(self, case: Case) -> list[str | None]:
        """``case``'s turn openings (computed now for a case outside the index)."""
        known = self._openings.get(id(case))
        return known if known is not None else _openings(case)

    def opened_by(self, content: Any) -> list[Case]:
        """The indexed cases whose first turn opens with ``content``, in suite order."""
        if content is not None and not isinstance(content, str):
            return []
        return self._by_first.get(content, [])


def match_case(
    cases: Sequence[Case] | MultiTurnIndex,
    messages: Sequence[dict[str, Any]],
    found: Case | None,
    suite_extra: Mapping[str, Any] | None = None,
) -> Case | None:
    """The multi-turn case the conversation follows, preferring ``found``.

    BFCL's multi-turn categories share questions (miss_param inserts turns into base
    conversations, long_context repeats them word for word), so a lookup by one message can
    land on a sibling; the whole sequence of turns decides. Twins with identical turns are
    told apart by the tool results in the history: with the suite's environment sources,
    the conversation's calls are replayed on each twin's environment and the twin whose
    results match is chosen (before any result, the first twin wins). ``cases`` is the
    suite's cases or, for many lookups, their :class:`MultiTurnIndex`.
    """
    if found is not None and not found.category.startswith("multi_turn"):
        return found
    index = cases if isinstance(cases, MultiTurnIndex) else MultiTurnIndex(cases)
    first_user = next((m for m in messages if m.get("role") == "user"), None)
    candidates: list[Case] = []
    if found is not None and follows(found, messages, index.openings(found)):
        candidates.append(found)
    if first_user is not None:
        for case in index.opened_by(first_user.get("content")):
            if case is not found and follows(case, messages, index.openings(case)):
                candidates.append(case)
    if not candidates:
        return found
    if len(candidates) > 1 and suite_extra and _has_results(messages):
        plans = {json.dumps(_plan(case, messages), sort_keys=True) for case in candidates}
        if len(plans) == 1:  # every twin would answer the same: no need to tell them apart
            return candidates[0]
        for case in candidates:
            if _results_agree(case, messages, suite_extra):
                return case
    return candidates[0]


_TOOL_RESULTS_PREFIX = "[{'role': 'tool'"


def _plan(case: Case, messages: Sequence[dict[str, Any]]) -> list[Any] | None:
    """The calls the simulated model would make next for ``case`` (None: a text reply)."""
    turn, step = position(case, messages)
    calls = turn_calls(case, turn)
    if step > 0 or not calls:
        return None
    return [[c.name, c.arguments] for c in calls]


def _has_results(messages: Sequence[dict[str, Any]]) -> bool:
    return any(
        m.get("role") == "tool" or str(m.get("content") or "").startswith(_TOOL_RESULTS_PREFIX)
        for m in messages
    )


def _results_agree(
    case: Case, messages: Sequence[dict[str, Any]], suite_extra: Mapping[str, Any]
) -> bool:
    """Whether replaying the conversation's calls on ``case``'s environment gives its results."""
    from farm.formats.execute import DecodeError, decode_execute
    from farm.multiturn.checker import open_case_environment
    from farm.multiturn.dispatch import execute_calls
    from farm.multiturn.envs import EnvironmentSources, ModuleSet

    try:
        env = open_case_environment(
            case, ModuleSet(EnvironmentSources.from_suite_extra(suite_extra))
        )
    except SuiteError:
        return False
    expected: list[str] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role == "assistant":
            if expected:
                return False
            tool_calls = message.get("tool_calls")
            try:
                if tool_calls:
                    step: Any = [
                        {c["function"]["name"]: c["function"]["arguments"]} for c in tool_calls
                    ]
                    calls = decode_execute(step, mode="fc")
                else:
                    calls = decode_execute(str(content or ""), mode="prompt")
            except (DecodeError, KeyError, TypeError):
                continue
            expected = execute_calls(env, calls)
        elif role == "tool":
            if not expected or expected.pop(0) != content:
                return False
        elif role == "user" and str(content or "").startswith(_TOOL_RESULTS_PREFIX):
            try:
                fed = [str(item.get("content")) for item in ast.literal_eval(str(content))]
            except (ValueError, SyntaxError, AttributeError):
                return False
            if fed != expected:
                return False
            expected = []
    return True


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
