"""Answers from the ground truth: the simulator's and the fake oracle's "model".

A request is mapped to its case by content: the last (or first) user message plus the set of
offered function names. The answer is the case's first acceptable ground truth, rendered as
OpenAI tool calls (FC) or as BFCL's Python call-list text (prompt mode). A seeded, per-case
draw turns a configurable fraction of answers wrong, deterministically. Multi-turn cases are
answered by the hook module :mod:`farm.simulator.multiturn` when it exists.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from farm.suites.case import Case

_OMIT = object()

#: The text answered when no function fits (decodes to no call).
NO_CALL_TEXT = "None of the available functions can be used for this request."


@dataclass(frozen=True)
class Reply:
    """What the simulated model says: text, or tool calls as (name, arguments JSON) pairs."""

    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)


def oai_name(name: str) -> str:
    """A function name as FC mode sends it (``.`` replaced by ``_``)."""
    return name.replace(".", "_")


def _user_texts(messages: Sequence[dict[str, Any]]) -> list[str]:
    return [str(m.get("content") or "") for m in messages if m.get("role") == "user"]


def _key(text: str, names: Iterable[str]) -> tuple[str, frozenset[str]]:
    return text.strip(), frozenset(oai_name(n) for n in names)


class CaseIndex:
    """Cases by request content, for answering."""

    def __init__(self, cases: Sequence[Case]) -> None:
        self.cases = list(cases)
        self._by_key: dict[tuple[str, frozenset[str]], Case] = {}
        self._by_text: dict[str, list[Case]] = {}
        for case in self.cases:
            names = [f["name"] for f in case.functions]
            for text in self._texts(case):
                self._by_key.setdefault(_key(text, names), case)
                self._by_text.setdefault(text.strip(), []).append(case)

    @staticmethod
    def _texts(case: Case) -> list[str]:
        texts: list[str] = []
        for turn in case.turns:
            users = _user_texts(turn)
            if users:
                texts.append(users[-1])
        return texts

    def find(self, messages: Sequence[dict[str, Any]], names: Iterable[str] | None) -> Case | None:
        """The case a chat request is about, or ``None``.

        Tries the last user message, then earlier ones (multi-turn steps end with tool
        results), each with the offered function names, then by text alone if unique.
        """
        users = [u.strip() for u in _user_texts(messages)]
        name_list = list(names) if names is not None else None
        for text in reversed(users):
            if name_list is not None:
                found = self._by_key.get(_key(text, name_list))
                if found is not None:
                    return found
            candidates = self._by_text.get(text)
            if candidates and (len(candidates) == 1 or name_list is None):
                return candidates[0]
        return None

    def find_in_prompt(self, prompt: str) -> Case | None:
        """The case whose question appears in a raw prompt (``/v1/completions``)."""
        for text, candidates in self._by_text.items():
            if text and text in prompt:
                return candidates[0]
        return None


def is_wrong(case_id: str, *, rate: float, seed: int) -> bool:
    """Whether the simulated model gets ``case_id`` wrong: a stable draw per (seed, case)."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _pick(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, alternatives in value.items():
            chosen = _choose(alternatives) if isinstance(alternatives, list) else alternatives
            if chosen is not _OMIT:
                out[key] = chosen
        return out
    if isinstance(value, list):
        return [_pick(item) for item in value]
    return value


def _choose(alternatives: list[Any]) -> Any:
    for alternative in alternatives:
        if alternative != "":
            return _pick(alternative)
    return _OMIT


def ground_truth_calls(case: Case) -> list[tuple[str, dict[str, Any]]]:
    """The first acceptable answer of a single-turn case as (name, arguments) pairs."""
    calls: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(case.answer, list):
        return calls
    for call in case.answer:
        if not isinstance(call, dict):
            continue
        for name, params in call.items():
            args: dict[str, Any] = {}
            for param, alternatives in (params or {}).items():
                chosen = _choose(alternatives) if isinstance(alternatives, list) else alternatives
                if chosen is not _OMIT:
                    args[param] = chosen
            calls.append((name, args))
    return calls


def _spoil(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    name, args = calls[0]
    spoiled = dict(args)
    for key, value in args.items():
        if isinstance(value, bool):
            spoiled[key] = not value
        elif isinstance(value, int | float):
            spoiled[key] = value + 7
        else:
            spoiled[key] = f"{value}-wrong"
        break
    else:
        spoiled["unexpected_argument"] = "wrong"
    return [(name, spoiled), *calls[1:]]


def _param_types(case: Case, name: str) -> dict[str, str]:
    for doc in case.functions:
        if doc.get("name") == name:
            props = doc.get("parameters", {}).get("properties", {})
            return {k: str(v.get("type", "")) for k, v in props.items()}
    return {}


def _source_literal(value: Any, type_name: str, language: str) -> str:
    """A Java or JavaScript literal's source text for a Python ground-truth value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and language == "java":
        suffix = {"long": "L", "float": "f"}.get(type_name, "")
        return f"{value}{suffix}"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _arguments(case: Case, name: str, args: dict[str, Any]) -> dict[str, Any]:
    if case.language not in ("java", "javascript"):
        return args
    types = _param_types(case, name)
    return {k: _source_literal(v, types.get(k, ""), case.language) for k, v in args.items()}


def python_call_text(calls: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """BFCL's prompt-mode format: ``[f(a=1, b='x'), g(c=[1, 2])]``."""
    rendered = []
    for name, args in calls:
        inner = ", ".join(f"{key}={value!r}" for key, value in args.items())
        rendered.append(f"{name}({inner})")
    return "[" + ", ".join(rendered) + "]"


def _needs_call(case: Case) -> bool | None:
    """True: must call; False: must not call; None: follow the ground truth."""
    if "irrelevance" in case.category:
        return False
    if "relevance" in case.category:
        return True
    return None


def answer_single_turn(case: Case, *, fc: bool, wrong: bool) -> Reply:
    """The answer to a single-turn case (``wrong`` spoils it)."""
    policy = _needs_call(case)
    calls = ground_truth_calls(case)
    if policy is True and not calls and case.functions:
        calls = [(case.functions[0]["name"], {})]
    make_call = bool(calls) if policy is None else policy
    if wrong:
        if not make_call and case.functions:
            calls, make_call = [(case.functions[0]["name"], {})], True
        elif make_call and policy is True:
            make_call = False
        elif make_call:
            calls = _spoil(calls)
    if not make_call or not calls:
        return Reply(content=NO_CALL_TEXT)
    calls = [(name, _arguments(case, name, args)) for name, args in calls]
    if fc:
        return Reply(tool_calls=[(oai_name(n), json.dumps(a)) for n, a in calls])
    return Reply(content=python_call_text(calls))


def answer(
    case: Case,
    messages: Sequence[dict[str, Any]],
    *,
    fc: bool,
    wrong: bool,
    suite_extra: Mapping[str, Any] | None = None,
) -> Reply:
    """The simulated model's reply to ``messages`` about ``case``.

    Multi-turn cases go to the hook ``farm.simulator.multiturn.answer_multi_turn(case,
    messages, *, fc, wrong, suite_extra) -> Reply`` when that module exists; without it
    the reply is a text that ends the turn.
    """
    if case.category.startswith("multi_turn"):
        try:
            hook = importlib.import_module("farm.simulator.multiturn")
        except ModuleNotFoundError as exc:
            if exc.name != "farm.simulator.multiturn":
                raise
            return Reply(content=NO_CALL_TEXT)
        reply = hook.answer_multi_turn(
            case, list(messages), fc=fc, wrong=wrong, suite_extra=dict(suite_extra or {})
        )
        assert isinstance(reply, Reply)
        return reply
    return answer_single_turn(case, fc=fc, wrong=wrong)
