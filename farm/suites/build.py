"""Turn parsed BFCL-format lines into :class:`Case` objects, checking them as a whole.

Shared by the wheel reader (:mod:`farm.suites.wheel`) and user suites
(:mod:`farm.suites.local`). A suite is built completely in memory and checked before
anything is written, so a bad file never leaves half a suite behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farm.errors import SuiteError
from farm.jsondata import json_copy
from farm.suites.case import Case
from farm.suites.categories import NO_ANSWER, language_of
from farm.suites.jsonl import (
    Line,
    answers_by_id,
    check_functions,
    check_turns,
    check_unique,
    content_hash,
    require_id,
)


@dataclass
class SuiteData:
    """A whole suite read from its source, ready to store.

    Attributes:
        name: suite name, e.g. ``bfcl``.
        version: suite version, e.g. ``2026.3.23``.
        source: where it came from (a wheel path, a directory).
        sha256: digest of the source (the wheel file, or the suite's files).
        cases: every case, grouped by category in ``categories`` order, in file order.
        extra: suite-wide data (multi-turn sources and docs, category order, content digest).
    """

    name: str
    version: str
    source: str
    sha256: str
    cases: list[Case] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def needs_answers(category: str) -> bool:
    """Whether a category must ship a possible-answer file (relevance ones do not)."""
    return category not in NO_ANSWER and not category.endswith(("irrelevance", "relevance"))


def case_hash(case: Case) -> str:
    """The content hash of a case: SHA-256 of the canonical JSON of everything it holds."""
    return content_hash(
        {
            "case_id": case.case_id,
            "category": case.category,
            "language": case.language,
            "turns": case.turns,
            "functions": case.functions,
            "answer": case.answer,
            "extra": case.extra,
        }
    )


def _match_answers(
    category: str, prompts: list[Line], answers: list[Line] | None, answer_source: str
) -> dict[str, Any]:
    """Ground truth per case id; every case needs one and every answer needs a case."""
    if answers is None:
        if needs_answers(category):
            raise SuiteError(f"missing answer file {answer_source} for category {category!r}")
        return {}
    by_id = answers_by_id(answers)
    prompt_ids = set()
    for line in prompts:
        case_id = require_id(line)
        prompt_ids.add(case_id)
        if case_id not in by_id:
            raise SuiteError(f"{line.where}: no possible answer for {case_id!r} in {answer_source}")
    for case_id, line in by_id.items():
        if case_id not in prompt_ids:
            raise SuiteError(f"{line.where}: answer for unknown case id {case_id!r}")
    return {case_id: line.obj["ground_truth"] for case_id, line in by_id.items()}


def single_turn_cases(
    category: str,
    prompts: list[Line],
    answers: list[Line] | None,
    *,
    answer_source: str,
    id_prefix: bool = True,
) -> list[Case]:
    """Cases of a single-turn category (each entry carries its own ``function`` docs).

    ``id_prefix`` requires every id to start with ``<category>_``, as BFCL's ids do.
    """
    check_unique(prompts)
    truth = _match_answers(category, prompts, answers, answer_source)
    cases = []
    for position, line in enumerate(prompts):
        case_id = require_id(line)
        if id_prefix and not case_id.startswith(f"{category}_"):
            raise SuiteError(f"{line.where}: id {case_id!r} does not belong to {category!r}")
        if "function" not in line.obj:
            raise SuiteError(f"{line.where}: missing 'function'")
        extra = {k: v for k, v in line.obj.items() if k not in ("id", "question", "function")}
        cases.append(
            Case(
                case_id=case_id,
                category=category,
                language=language_of(category),
                turns=check_turns(line, allow_empty_turns=False),
                functions=check_functions(line.obj["function"], line.where),
                answer=truth.get(case_id),
                extra=extra,
                position=position,
            )
        )
    return cases


def _multi_turn_functions(
    line: Line, classes: list[str], class_docs: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Docs of the involved classes in order, with the missed functions moved out by turn."""
    functions: list[dict[str, Any]] = []
    for name in classes:
        if name not in class_docs:
            known = ", ".join(sorted(class_docs))
            raise SuiteError(f"{line.where}: unknown involved class {name!r}; known: {known}")
        functions.extend(json_copy(class_docs[name]))
    missed_raw = line.obj.get("missed_function", {})
    if not isinstance(missed_raw, dict):
        raise SuiteError(f"{line.where}: 'missed_function' must map turn index to names")
    missed: dict[str, list[dict[str, Any]]] = {}
    for turn, names in missed_raw.items():
        if not str(turn).isdigit() or not isinstance(names, list):
            raise SuiteError(f"{line.where}: 'missed_function' must map turn index to names")
        missed[str(turn)] = []
        for fname in names:
            index = next((i for i, d in enumerate(functions) if d["name"] == fname), None)
            if index is None:
                raise SuiteError(f"{line.where}: missed function {fname!r} is not in the docs")
            missed[str(turn)].append(functions.pop(index))
    return functions, missed


def multi_turn_cases(
    category: str,
    prompts: list[Line],
    answers: list[Line] | None,
    class_docs: dict[str, list[dict[str, Any]]],
    *,
    answer_source: str,
) -> list[Case]:
    """Cases of a multi-turn category; function docs come from ``class_docs`` by class name."""
    check_unique(prompts)
    truth = _match_answers(category, prompts, answers, answer_source)
    cases = []
    for position, line in enumerate(prompts):
        case_id = require_id(line)
        if not case_id.startswith(f"{category}_"):
            raise SuiteError(f"{line.where}: id {case_id!r} does not belong to {category!r}")
        classes = line.obj.get("involved_classes")
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise SuiteError(f"{line.where}: 'involved_classes' must be a list of class names")
        config = line.obj.get("initial_config", {})
        if not isinstance(config, dict):
            raise SuiteError(f"{line.where}: 'initial_config' must be an object")
        functions, missed = _multi_turn_functions(line, classes, class_docs)
        extra = {
            "initial_config": config,
            "involved_classes": classes,
            "missed_function": missed,
            "long_context": category == "multi_turn_long_context",
        }
        for key in ("path", "excluded_function"):
            if key in line.obj:
                extra[key] = line.obj[key]
        answer = truth.get(case_id)
        if not isinstance(answer, list) or not all(isinstance(t, list) for t in answer):
            raise SuiteError(f"{line.where}: the answer of {case_id!r} must be a list of turns")
        cases.append(
            Case(
                case_id=case_id,
                category=category,
                language="python",
                turns=check_turns(line, allow_empty_turns=True),
                functions=functions,
                answer=answer,
                extra=extra,
                position=position,
            )
        )
    return cases


def check_suite_ids(cases: list[Case]) -> None:
    """Case ids must be unique across the whole suite, not just within one file."""
    seen: dict[str, str] = {}
    for case in cases:
        if case.case_id in seen:
            raise SuiteError(
                f"duplicate case id {case.case_id!r} in categories "
                f"{seen[case.case_id]!r} and {case.category!r}"
            )
        seen[case.case_id] = case.category
