"""Open a memory backend by BFCL class name, snapshot and restore it, build its system prompt.

A snapshot is JSON: ``{"class": "MemoryAPI_kv", "scenario": "customer", "state": {...}}``
where ``state`` has the shape of BFCL's ``<scenario>_final.json`` for that backend. It is
what a prerequisite chain leaves in the database and what each question starts from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from farm.agentic.memory.kv import MemoryKV
from farm.agentic.memory.rec_sum import MemoryRecSum
from farm.agentic.memory.vector import Embedder, MemoryVector
from farm.errors import SuiteError

MemoryBackend = MemoryKV | MemoryVector | MemoryRecSum
CLASSES: tuple[str, ...] = ("MemoryAPI_kv", "MemoryAPI_vector", "MemoryAPI_rec_sum")


def open_backend(class_name: str, *, embed: Embedder | None = None) -> MemoryBackend:
    """A fresh, empty backend of BFCL class ``class_name``.

    Raises:
        SuiteError: an unknown class, or the vector backend without an embedder.
    """
    if class_name == "MemoryAPI_kv":
        return MemoryKV()
    if class_name == "MemoryAPI_rec_sum":
        return MemoryRecSum()
    if class_name == "MemoryAPI_vector":
        if embed is None:
            raise SuiteError("the vector memory backend needs an embedding endpoint")
        return MemoryVector(embed)
    raise SuiteError(f"unknown memory class {class_name!r}; known: {', '.join(CLASSES)}")


@dataclass(frozen=True, slots=True)
class MemorySnapshot:
    """The state of one backend after some conversation (JSON-serialisable).

    Attributes:
        class_name: the BFCL class (``MemoryAPI_kv``, ...).
        scenario: the memory scenario (``customer``, ...).
        state: BFCL's snapshot-file shape for the class.
    """

    class_name: str
    scenario: str
    state: dict[str, Any]

    def to_json(self) -> str:
        """The snapshot as JSON text."""
        return json.dumps(
            {"class": self.class_name, "scenario": self.scenario, "state": self.state},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> MemorySnapshot:
        """Parse a snapshot; :class:`SuiteError` on anything else."""
        try:
            data = json.loads(text) if isinstance(text, str | bytes) else dict(text)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"a memory snapshot is not JSON: {exc}") from exc
        if (
            not isinstance(data, dict)
            or data.get("class") not in CLASSES
            or not isinstance(data.get("scenario"), str)
            or not isinstance(data.get("state"), dict)
        ):
            raise SuiteError("a memory snapshot needs 'class', 'scenario' and 'state'")
        return cls(data["class"], data["scenario"], data["state"])


def take_snapshot(backend: MemoryBackend, class_name: str, scenario: str) -> MemorySnapshot:
    """The backend's current state as a snapshot."""
    return MemorySnapshot(class_name, scenario, json.loads(json.dumps(backend._snapshot())))


def restore(snapshot: MemorySnapshot, *, embed: Embedder | None = None) -> MemoryBackend:
    """A backend holding the snapshot's state (the vector backend re-embeds its texts).

    Raises:
        SuiteError: the state does not fit the class.
    """
    backend = open_backend(snapshot.class_name, embed=embed)
    try:
        backend._restore(snapshot.state)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SuiteError(f"a {snapshot.class_name} snapshot is malformed: {exc}") from exc
    return backend


def memory_system_prompt(
    backend: MemoryBackend, class_name: str, scenario: str, prompts: Mapping[str, Any]
) -> str:
    """BFCL's memory system prompt: persona, backend instruction and the core-memory dump.

    ``prompts`` is the suite's ``extra["agentic_prompts"]`` (BFCL's literals). The
    recursive-summarisation backend uses the "unified" instruction, the others the
    core/archival one.

    Raises:
        SuiteError: the suite lacks the prompts or the scenario.
    """
    settings = prompts.get("MEMORY_AGENT_SETTINGS")
    if not isinstance(settings, Mapping) or scenario not in settings:
        raise SuiteError(f"the suite has no memory persona for scenario {scenario!r}")
    name = (
        "MEMORY_BACKEND_INSTRUCTION_UNIFIED"
        if class_name == "MemoryAPI_rec_sum"
        else "MEMORY_BACKEND_INSTRUCTION_CORE_ARCHIVAL"
    )
    template = prompts.get(name)
    if not isinstance(template, str):
        raise SuiteError(f"the suite lacks BFCL's {name}")
    return template.replace("{scenario_setting}", str(settings[scenario])).replace(
        "{memory_content}", backend._context()
    )


def with_memory_prompt(
    turns: list[list[dict[str, Any]]], system_prompt: str
) -> list[list[dict[str, Any]]]:
    """The turns with the memory prompt first in turn 0, as BFCL adds it.

    An existing system message at the start of turn 0 gets the memory prompt prepended
    (joined by a blank line); otherwise a new system message is inserted.
    """
    out = [list(turn) for turn in turns]
    first = out[0]
    if first and first[0].get("role") == "system":
        first[0] = {**first[0], "content": system_prompt + "\n\n" + str(first[0]["content"])}
    else:
        first.insert(0, {"role": "system", "content": system_prompt})
    return out
