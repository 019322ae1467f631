"""The in-memory form of one benchmark case, shared by inference, scoring and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Case:
    """One test case as the suite ships it.

    Attributes:
        case_id: BFCL's id, e.g. ``simple_python_12`` or ``live_simple_13-3-9``.
        category: the leaf category, e.g. ``simple_python``.
        language: ``python``, ``java`` or ``javascript`` (the function docs' language).
        turns: the question: a list of turns, each a list of ``{role, content}`` messages.
        functions: the function docs in Gorilla JSON-schema flavour, with original types
            and no language hints. For multi-turn cases, the docs of the involved classes
            (the ones in ``missed_function`` removed).
        answer: the ground truth (``None`` for categories without an answer file).
        extra: further fields: for multi-turn ``initial_config``, ``involved_classes``,
            ``missed_function`` (turn index to held-out docs), ``long_context``.
        position: the index of the case in its category file.
    """

    case_id: str
    category: str
    language: str
    turns: list[list[dict[str, Any]]]
    functions: list[dict[str, Any]]
    answer: Any | None
    extra: dict[str, Any] = field(default_factory=dict)
    position: int = 0
