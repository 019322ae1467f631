"""Small environments and a scripted model for the multi-turn tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from farm.endpoints.types import Completion, CompletionRequest, ToolCall
from farm.suites.case import Case

PACKAGE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code"

LEDGER_SOURCE = f"""
from copy import deepcopy

from {PACKAGE}.ledger_extra import EXTRA_ENTRIES

CALLS_SEEN = []
DEFAULT_STATE = {{"entries": [], "owner": "nobody"}}


class LedgerAPI:
    def __init__(self):
        self.entries = []
        self.owner = "nobody"
        self.long_context = False
        self._secret = "s3cret"

    def _load_scenario(self, scenario, long_context=False):
        state = deepcopy(DEFAULT_STATE)
        state.update(scenario)
        self.entries = list(state["entries"])
        self.owner = state["owner"]
        self.long_context = long_context
        if long_context:
            self.entries.extend(EXTRA_ENTRIES)

    def add(self, item: str, amount: int = 1):
        CALLS_SEEN.append(item)
        self.entries.append([item, amount])
        return {{"count": len(self.entries)}}

    def total(self):
        return sum(a for _, a in self.entries)

    def describe(self):
        return "ledger of " + self.owner

    def explode(self):
        raise ValueError("the ledger exploded")

    def _wipe(self):
        self.entries = []
        return "wiped"
"""

EXTRA_SOURCE = 'EXTRA_ENTRIES = [["archive", 100], ["backlog", 50]]\n'

CLOCK_SOURCE = """
class ClockAPI:
    def __init__(self):
        self.ticks = 0

    def _load_scenario(self, scenario, long_context=False):
        self.ticks = scenario.get("ticks", 0)

    def tick(self):
        self.ticks += 1
        return {"ticks": self.ticks}

    def add(self, item: str, amount: int = 1):
        return "clock add"
"""

SOURCES = {
    "ledger_api.py": LEDGER_SOURCE,
    "ledger_extra.py": EXTRA_SOURCE,
    "clock_api.py": CLOCK_SOURCE,
}
CLASS_FILES = {"LedgerAPI": "ledger_api.py", "ClockAPI": "clock_api.py"}
SUITE_EXTRA = {"multi_turn_sources": SOURCES, "multi_turn_class_files": CLASS_FILES}

LEDGER_DOCS = [
    {
        "name": "add",
        "description": "Add an entry.",
        "parameters": {
            "type": "dict",
            "properties": {
                "item": {"type": "string", "description": "What."},
                "amount": {"type": "integer", "description": "How many."},
            },
            "required": ["item"],
        },
    },
    {
        "name": "total",
        "description": "Sum of amounts.",
        "parameters": {"type": "dict", "properties": {}, "required": []},
    },
    {
        "name": "describe",
        "description": "Who owns the ledger.",
        "parameters": {"type": "dict", "properties": {}, "required": []},
    },
]


def ledger_case(
    answer: list[list[str]],
    *,
    case_id: str = "multi_turn_base_7",
    questions: list[str] | None = None,
    config: dict[str, Any] | None = None,
    classes: list[str] | None = None,
    missed: dict[str, list[dict[str, Any]]] | None = None,
    long_context: bool = False,
) -> Case:
    """A multi-turn case over the ledger environment."""
    questions = questions or [f"question {i}" for i in range(len(answer))]
    missed = missed or {}
    turns = [
        [] if str(i) in missed else [{"role": "user", "content": q}]
        for i, q in enumerate(questions)
    ]
    return Case(
        case_id=case_id,
        category=case_id.rsplit("_", 1)[0],
        language="python",
        turns=turns,
        functions=list(LEDGER_DOCS),
        answer=answer,
        extra={
            "initial_config": config or {"LedgerAPI": {"owner": "ada"}},
            "involved_classes": classes or ["LedgerAPI"],
            "missed_function": missed,
            "long_context": long_context,
        },
    )


class ScriptedPool:
    """A model whose replies come from a function of the request (records every request)."""

    def __init__(self, reply: Callable[[CompletionRequest, int], Completion]) -> None:
        self.reply = reply
        self.requests: list[CompletionRequest] = []

    async def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        return self.reply(request, len(self.requests) - 1)


def text(content: str) -> Completion:
    """A text reply."""
    return Completion(content=content, input_tokens=3, output_tokens=2, endpoint="script")


def calls(*pairs: tuple[str, str]) -> Completion:
    """A tool-call reply from (name, arguments JSON) pairs."""
    return Completion(
        content=None,
        tool_calls=tuple(
            ToolCall(name=n, arguments=a, id=f"id{i}") for i, (n, a) in enumerate(pairs)
        ),
        input_tokens=3,
        output_tokens=2,
        endpoint="script",
    )
