"""Solving agentic cases: BFCL's agentic conversation with the farm's memory and web tools.

A web-search or memory case is a one-turn conversation (:func:`farm.benchmarks.bfcl.conversation.
run_conversation`) whose tools are the farm's own instances: a
:class:`~farm.agentic.web.tools.WebSearchAPI` over the run's
:class:`~farm.agentic.web.service.WebService` (snippets shown or not by the case's
``initial_config``), or a memory backend restored from the snapshot its scenario's
prerequisite chain left. Memory conversations get BFCL's memory system prompt (persona,
backend instruction, core-memory dump) first in turn 0; the questions also carry the
answer-format system message the suite put there.

A prerequisite chain (:func:`run_memory_chain`) runs a scenario's conversations in order on
one backend, storing the snapshot after each; it resumes after the last stored step.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from farm.agentic.memory.backends import (
    MemoryBackend,
    MemorySnapshot,
    memory_system_prompt,
    open_backend,
    restore,
    take_snapshot,
    with_memory_prompt,
)
from farm.agentic.memory.embed import LoopEmbedder
from farm.agentic.memory.vector import Embedder
from farm.agentic.snapshots import SnapshotStore
from farm.agentic.web.service import WebService
from farm.agentic.web.tools import WebSearchAPI
from farm.benchmarks.bfcl.conversation import run_conversation
from farm.endpoints.embeddings import EmbeddingClient
from farm.endpoints.pool import EndpointPool
from farm.errors import SuiteError
from farm.inference import InferenceOutcome
from farm.models.registry import ModelSpec
from farm.multiturn.envs import Environment
from farm.suites.case import Case


def tool_environment(class_name: str, instance: object) -> Environment:
    """An :class:`Environment` exposing ``instance``'s public methods as tools."""
    methods = {
        name: (class_name, getattr(instance, name))
        for name in dir(instance)
        if not name.startswith("_") and callable(getattr(instance, name))
    }
    return Environment(instances={class_name: instance}, methods=methods)


def _class_of(case: Case) -> str:
    classes = case.extra.get("involved_classes") or []
    if len(classes) != 1:
        raise SuiteError(f"{case.case_id}: an agentic case needs exactly one involved class")
    return str(classes[0])


async def solve_web_case(
    case: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    service: WebService,
) -> InferenceOutcome:
    """Run one web-search case with the farm's web tools."""
    config = (case.extra.get("initial_config") or {}).get("WebSearchAPI") or {}
    tools = WebSearchAPI(service, show_snippet=bool(config.get("show_snippet", True)))
    env = tool_environment("WebSearchAPI", tools)
    return await run_conversation(case, spec, pool, None, environment=env, threaded_tools=True)


@dataclass(frozen=True, slots=True)
class MemoryContext:
    """What memory conversations need besides the model.

    Attributes:
        prompts: the suite's ``extra["agentic_prompts"]`` (BFCL's prompt literals).
        embed: the embedder of the vector backend (None: the vector backend is refused).
    """

    prompts: Mapping[str, Any]
    embed: Embedder | None = None


def loop_embedder(client: EmbeddingClient) -> LoopEmbedder:
    """An embedder for memory tools run in worker threads of the current event loop."""
    return LoopEmbedder(client, asyncio.get_running_loop())


async def run_memory_conversation(
    case: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    memory: MemoryContext,
    start: MemorySnapshot | None,
) -> tuple[InferenceOutcome, MemoryBackend]:
    """Run one memory conversation (a question or a prerequisite) from ``start``.

    Returns the outcome and the backend as the conversation left it.

    Raises:
        SuiteError: the case or the suite's prompts do not fit (a suite problem).
    """
    class_name = _class_of(case)
    scenario = str(case.extra.get("scenario") or "")
    if start is not None and start.class_name != class_name:
        raise SuiteError(f"{case.case_id}: snapshot of {start.class_name}, not {class_name}")
    backend = (
        await asyncio.to_thread(restore, start, embed=memory.embed)
        if start is not None
        else open_backend(class_name, embed=memory.embed)
    )
    prompt = memory_system_prompt(backend, class_name, scenario, memory.prompts)
    turns = with_memory_prompt(case.turns, prompt)
    env = tool_environment(class_name, backend)
    outcome = await run_conversation(
        case, spec, pool, None, environment=env, turns=turns, threaded_tools=True
    )
    return outcome, backend


def prerequisite_cases(
    category: str, scenario: str, chain: Sequence[Mapping[str, Any]]
) -> list[Case]:
    """A scenario's prerequisite conversations as cases of ``category`` (BFCL's ids)."""
    class_name = f"MemoryAPI_{category.removeprefix('memory_')}"
    return [
        Case(
            case_id=str(entry["id"]).replace("memory", category, 1),
            category=category,
            language="python",
            turns=[list(turn) for turn in entry["question"]],
            functions=[],
            answer=None,
            extra={"involved_classes": [class_name], "scenario": scenario, "prerequisite": True},
            position=index,
        )
        for index, entry in enumerate(chain)
    ]


class ChainFailed(Exception):
    """A prerequisite conversation failed to run (an inference failure, not a model answer)."""

    def __init__(self, case_id: str, outcome: InferenceOutcome) -> None:
        super().__init__(f"{case_id}: {outcome.error_type}: {outcome.error_message}")
        self.case_id = case_id
        self.outcome = outcome


async def run_memory_chain(
    run_id: uuid.UUID,
    prerequisites: Sequence[Case],
    docs: list[dict[str, Any]],
    spec: ModelSpec,
    pool: EndpointPool,
    memory: MemoryContext,
    store: SnapshotStore,
) -> MemorySnapshot | None:
    """Run a scenario's prerequisite chain, storing the snapshot after each conversation.

    Steps already stored for this run are skipped (the chain resumes after the last one).
    ``docs`` are the backend's function docs. Returns the final snapshot (None for an
    empty chain).

    Raises:
        ChainFailed: a conversation failed to run; the steps before it stay stored.
    """
    if not prerequisites:
        return None
    category = prerequisites[0].category
    scenario = str(prerequisites[0].extra["scenario"])
    class_name = _class_of(prerequisites[0])
    done = store.latest(run_id, category, scenario)
    snapshot = done[1] if done is not None else None
    first = done[0] + 1 if done is not None else 0
    for step in range(first, len(prerequisites)):
        case = prerequisites[step]
        case = Case(
            case_id=case.case_id,
            category=case.category,
            language=case.language,
            turns=case.turns,
            functions=docs,
            answer=None,
            extra=case.extra,
            position=case.position,
        )
        outcome, backend = await run_memory_conversation(case, spec, pool, memory, snapshot)
        if outcome.error_type is not None:
            raise ChainFailed(case.case_id, outcome)
        snapshot = take_snapshot(backend, class_name, scenario)
        await asyncio.to_thread(store.save, run_id, category, step, case.case_id, snapshot)
    if snapshot is None:  # pragma: no cover - the loop ran or a stored step was found
        raise SuiteError(f"{category}/{scenario}: the chain left no snapshot")
    return snapshot
