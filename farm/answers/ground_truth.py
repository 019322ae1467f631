"""Answers from the ground truth: the simulator's and the fake oracle's "model".

A request is mapped to its case by content: the last (or first) user message plus the set of
offered function names. The answer is the case's first acceptable ground truth, rendered as
OpenAI tool calls (FC) or as BFCL's Python call-list text (prompt mode). A seeded, per-case
draw turns a configurable fraction of answers wrong, deterministically. Multi-turn cases are
answered by :mod:`farm.answers.multiturn`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from farm.answers.reply import NO_CALL_TEXT as NO_CALL_TEXT
from farm.answers.reply import Reply as Reply
from farm.answers.sources import source_arguments
from farm.prompts.tools import language_hint
from farm.suites.case import Case

_OMIT = object()


def oai_name(name: str) -> str:
    """A function name as FC mode sends it (``.`` replaced by ``_``)."""
    return name.replace(".", "_")


def _user_texts(messages: Sequence[dict[str, Any]]) -> list[str]:
    return [str(m.get("content") or "") for m in messages if m.get("role") == "user"]


def _key(text: str, names: Iterable[str]) -> tuple[str, frozenset[str]]:
    return text.strip(), frozenset(oai_name(n) for n in names)


class CaseIndex:
    """Cases by request content, for answering.

    The key is the question (a user message) plus the set of offered function names. BFCL
    has a few dozen cases that share both (a live_irrelevance twin of a live_simple case,
    for one); those are told apart by the whole conversation, the function descriptions
    as the model sees them, and the case's own system message.
    """

    def __init__(self, cases: Sequence[Case]) -> None:
        self.cases = list(cases)
        self._by_key: dict[tuple[str, frozenset[str]], list[Case]] = {}
        self._by_text: dict[str, list[Case]] = {}
        for case in self.cases:
            names = [f["name"] for f in case.functions]
            for text in self._texts(case):
                self._by_key.setdefault(_key(text, names), []).append(case)
                self._by_text.setdefault(text.strip(), []).append(case)

    @staticmethod
    def _texts(case: Case) -> list[str]:
        texts: list[str] = []
        for turn in case.turns:
            users = _user_texts(turn)
            if users:
                texts.append(users[-1])
        return texts

    @staticmethod
    def _pick(
        candidates: list[Case],
        messages: Sequence[dict[str, Any]],
        descriptions: Sequence[str] | None,
    ) -> Case:
        if len(candidates) == 1:
            return candidates[0]
        said = [(m.get("role"), m.get("content")) for m in messages if m.get("role") != "system"]
        system = next((str(m.get("content")) for m in messages if m.get("role") == "system"), "")

        def same_conversation(case: Case) -> bool:
            own = [(m.get("role"), m.get("content")) for m in case.turns[0]]
            own = [pair for pair in own if pair[0] != "system"]
            return said[: len(own)] == own

        def same_descriptions(case: Case) -> bool:
            hint = language_hint(case.category)
            own = [str(f.get("description", "")) + hint for f in case.functions]
            return descriptions is None or list(descriptions) == own

        def same_system(case: Case) -> bool:
            own = [str(m.get("content")) for m in case.turns[0] if m.get("role") == "system"]
            return all(system.endswith(text) for text in own)

        for test in (same_conversation, same_descriptions, same_system):
            kept = [c for c in candidates if test(c)]
            candidates = kept or candidates
            if len(candidates) == 1:
                break
        return candidates[0]

    def find(
        self,
        messages: Sequence[dict[str, Any]],
        names: Iterable[str] | None,
        descriptions: Sequence[str] | None = None,
    ) -> Case | None:
        """The case a chat request is about, or ``None``.

        Tries the last user message, then earlier ones (multi-turn steps end with tool
        results), each with the offered function names, then cases offering at least
        those functions.
        ``descriptions`` (of the offered functions, in order) settle ties.
        """
        users = [u.strip() for u in _user_texts(messages)]
        name_list = list(names) if names is not None else None
        for text in reversed(users):
            if name_list is not None:
                found = self._by_key.get(_key(text, name_list))
                if found:
                    return self._pick(found, messages, descriptions)
            candidates = self._by_text.get(text) or []
            if name_list is not None:  # fewer functions offered (tool retrieval)
                offered = {oai_name(n) for n in name_list}
                candidates = [
                    c for c in candidates if offered <= {oai_name(f["name"]) for f in c.functions}
                ]
            if candidates:
                return self._pick(candidates, messages, None)
        return None

    def find_in_prompt(self, prompt: str) -> Case | None:
        """The case whose question appears in a raw prompt (``/v1/completions``)."""
        for text, candidates in self._by_text.items():
            if text and text in prompt:
                return candidates[0]
        return None


def is_wrong(case_id: str, *, rate: float, seed: int) -> bool:
    """Whether the simulated model gets ``case_id`` wrong: a stable draw per (seed, case).

    The hash has its own prefix, so the draw is independent of ``--sample N --seed S``
    (which ranks cases by ``sha256(f"{S}:{id}")``): with one hash, sampling with the
    simulator's seed picked exactly the cases it answers wrongly.
    """
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"wrong:{seed}:{case_id}".encode()).digest()
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


def _param_docs(case: Case, name: str) -> dict[str, Any] | None:
    for doc in case.functions:
        if doc.get("name") == name:
            props = doc.get("parameters", {}).get("properties", {})
            return dict(props) if isinstance(props, dict) else {}
    return None


def _arguments(case: Case, name: str, args: dict[str, Any], *, fc: bool) -> dict[str, Any]:
    """Ground-truth arguments as the model would write them.

    Arguments the function does not declare are dropped (a few BFCL answers list one as
    optional). Java and JavaScript values become source text; in prompt mode they are
    marked as such with :class:`Source`.
    """
    docs = _param_docs(case, name)
    if docs is not None:
        args = {k: v for k, v in args.items() if k in docs}
    if case.language not in ("java", "javascript"):
        return args
    text = source_arguments(args, docs or {}, case.language, quote_strings=not fc)
    return text if fc else {k: Source(v) for k, v in text.items()}


class Source(str):
    """Argument text written into a call as it is, not as a Python literal."""

    def __repr__(self) -> str:
        return str(self)


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


def answer_single_turn(
    case: Case,
    *,
    fc: bool,
    wrong: bool,
    render: Callable[[Sequence[tuple[str, dict[str, Any]]]], str] | None = None,
) -> Reply:
    """The answer to a single-turn case (``wrong`` spoils it).

    In prompt mode the calls are written by ``render`` (default BFCL's Python syntax,
    :func:`python_call_text`).
    """
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
    calls = [(name, _arguments(case, name, args, fc=fc)) for name, args in calls]
    if fc:
        return Reply(tool_calls=[(oai_name(n), json.dumps(a)) for n, a in calls])
    return Reply(content=(render or python_call_text)(calls))


def answer(
    case: Case,
    messages: Sequence[dict[str, Any]],
    *,
    fc: bool,
    wrong: bool,
    suite_extra: Mapping[str, Any] | None = None,
    render: Callable[[Sequence[tuple[str, dict[str, Any]]]], str] | None = None,
) -> Reply:
    """The simulated model's reply to ``messages`` about ``case``.

    ``render`` writes a single-turn prompt-mode answer's calls (default Python syntax).

    Multi-turn cases are answered turn by turn by
    :func:`farm.answers.multiturn.answer_multi_turn`.
    """
    if case.category.startswith(("memory_", "web_search_")):
        from farm.answers.agentic import answer_agentic

        return answer_agentic(case, messages, fc=fc, wrong=wrong)
    if case.category.startswith("multi_turn"):
        from farm.answers.multiturn import answer_multi_turn

        return answer_multi_turn(
            case, list(messages), fc=fc, wrong=wrong, suite_extra=dict(suite_extra or {})
        )
    return answer_single_turn(case, fc=fc, wrong=wrong, render=render)
