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
one backend, storing the snapshot after each; it resumes after the last stored step. In a
run, the chain is a shard of its own (:func:`run_chain_in_shard`); the shards of its
questions are dispatched once it is done.
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
from farm.agentic.snapshots import SnapshotStore, Transcript
from farm.agentic.web.fetch import PageFetcher
from farm.agentic.web.guard import AddressPolicy
from farm.agentic.web.providers import get_provider
from farm.agentic.web.service import WebCounters, WebService
from farm.agentic.web.settings import WebSettings
from farm.agentic.web.store import WebStore
from farm.agentic.web.tools import WebSearchAPI
from farm.benchmarks.bfcl.conversation import run_conversation
from farm.benchmarks.context import SolveContext, current_context
from farm.db.engine import session_scope
from farm.db.models import WebUsage
from farm.endpoints.embeddings import EmbeddingClient
from farm.endpoints.pool import EndpointPool
from farm.errors import SuiteError
from farm.inference import InferenceOutcome, failed
from farm.models.registry import ModelSpec
from farm.multiturn.envs import Environment
from farm.result_row import PREREQUISITE_FAILED
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
    return await run_conversation(
        case, spec, pool, None, environment=env, threaded_tools=True, keep_tool_results=True
    )


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
        case,
        spec,
        pool,
        None,
        environment=env,
        turns=turns,
        threaded_tools=True,
        keep_tool_results=True,
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

    Each conversation's transcript (model output, tool results, latency, tokens) is stored
    with its snapshot; prerequisites get no ``results`` row and are never scored (as BFCL).

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
        transcript = Transcript(
            outcome.raw_output,
            outcome.call_info,
            outcome.latency_s,
            outcome.input_tokens,
            outcome.output_tokens,
        )
        await asyncio.to_thread(
            store.save, run_id, category, step, case.case_id, snapshot, transcript
        )
    if snapshot is None:  # pragma: no cover - the loop ran or a stored step was found
        raise SuiteError(f"{category}/{scenario}: the chain left no snapshot")
    return snapshot


# -- inside a run: the shard's context, the web store, chains and their questions ---------


def _web_parts(context: SolveContext) -> tuple[WebSettings, Any, PageFetcher | None]:
    """The shard's web settings, search provider and page fetcher (made once per shard)."""
    settings = context.keep("web:settings", WebSettings)
    if settings.mode == "replay":
        return settings, None, None
    provider = context.keep("web:provider", lambda: get_provider(settings.provider, settings))
    fetcher = context.keep(
        "web:fetcher",
        lambda: PageFetcher(
            AddressPolicy.from_text(settings.allow_networks),
            timeout_s=settings.timeout_s,
            max_bytes=settings.max_bytes,
        ),
        close="close",
    )
    return settings, provider, fetcher


def record_usage(context: SolveContext, counters: WebCounters) -> None:
    """Add a case's web counters to its shard's ``web_usage`` row."""
    with session_scope(context.engine) as session:
        row = session.get(WebUsage, (context.run_id, context.shard_no))
        if row is None:
            row = WebUsage(
                run_id=context.run_id,
                shard_no=context.shard_no,
                searches=0,
                searches_stored=0,
                fetches=0,
                fetches_stored=0,
                replay_misses=0,
                cost_usd=0.0,
            )
            session.add(row)
        row.searches += counters.searches
        row.searches_stored += counters.searches_stored
        row.fetches += counters.fetches
        row.fetches_stored += counters.fetches_stored
        row.replay_misses += counters.replay_misses
        row.cost_usd += counters.cost_usd


async def solve_agentic(
    case: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    suite_extra: Mapping[str, Any] | None,
) -> InferenceOutcome:
    """Solve a web-search or memory case inside its shard (see :mod:`farm.benchmarks.context`).

    Web search goes through the web store in ``FARM_WEB_MODE``; the case's searches and
    fetches are added to the shard's ``web_usage``. A memory question first makes sure its
    scenario's prerequisite chain is stored for the run (its chain shard ran before the
    question's shard was dispatched; a missing chain is a ``prerequisite_failed`` outcome),
    then starts from the chain's last snapshot.

    Raises:
        SuiteError: the suite lacks the prompts or prerequisite conversations.
        ConfigError: the web or embedding settings are incomplete.
    """
    context = current_context()
    if case.category.startswith("web_search"):
        settings, provider, fetcher = _web_parts(context)
        counters = WebCounters()
        service = WebService(
            settings.mode,
            provider=provider,
            fetcher=fetcher,
            store=WebStore(context.engine),
            counters=counters,
            provider_name=settings.provider,
        )
        outcome = await solve_web_case(case, spec, pool, service)
        async with context.lock("web:usage"):
            await asyncio.to_thread(record_usage, context, counters)
        return outcome
    memory, prereqs = _memory_parts(context, case, suite_extra)
    store = SnapshotStore(context.engine)
    scenario = str(case.extra.get("scenario") or "")
    done = await asyncio.to_thread(store.latest, context.run_id, case.category, scenario)
    if prereqs and (done is None or done[0] < len(prereqs) - 1):
        stored = 0 if done is None else done[0] + 1
        return failed(
            PREREQUISITE_FAILED,
            f"the prerequisite chain {case.category}:{scenario} is not stored for this run "
            f"({stored} of {len(prereqs)} conversations); its questions cannot start",
        )
    snapshot = done[1] if done is not None else None
    outcome, _backend = await run_memory_conversation(case, spec, pool, memory, snapshot)
    return outcome


def _memory_parts(
    context: SolveContext, case: Case, suite_extra: Mapping[str, Any] | None
) -> tuple[MemoryContext, list[Case]]:
    """The memory context of ``case``'s backend and its scenario's prerequisite cases.

    Raises:
        SuiteError: the suite lacks the prompts or the scenario's chain.
    """
    extra = suite_extra or {}
    prompts = extra.get("agentic_prompts")
    scenario = str(case.extra.get("scenario") or "")
    chain = (extra.get("memory_prereq") or {}).get(scenario)
    if not isinstance(prompts, Mapping) or not isinstance(chain, list):
        raise SuiteError(
            f"{case.case_id}: the suite has no memory prompts or prerequisite conversations "
            "for it; reload it with `farm suites pull bfcl`"
        )
    embed = None
    if _class_of(case) == "MemoryAPI_vector":
        from farm.config import get_settings

        model = get_settings().memory_embedding_model
        client = context.keep(
            f"embed:{model}", lambda: EmbeddingClient.from_env(model), close="aclose"
        )
        embed = loop_embedder(client)
    return MemoryContext(prompts, embed=embed), prerequisite_cases(case.category, scenario, chain)


def chain_key(case_id: str, category: str) -> str | None:
    """The chain a memory question waits for: ``<category>:<scenario>`` (None: not memory)."""
    parts = case_id.split("-")
    return f"{category}:{parts[1]}" if len(parts) == 3 else None


def chain_step_ids(key: str, suite_extra: Mapping[str, Any] | None) -> list[str]:
    """The prerequisite ids of chain ``key`` (``memory_kv:student``), in order."""
    category, _, scenario = key.partition(":")
    chain = ((suite_extra or {}).get("memory_prereq") or {}).get(scenario)
    if not isinstance(chain, list):
        return []
    return [c.case_id for c in prerequisite_cases(category, scenario, chain)]


async def run_chain_in_shard(
    key: str,
    question: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    suite_extra: Mapping[str, Any] | None,
) -> InferenceOutcome | None:
    """Run (or resume) chain ``key`` in the current chain shard, storing each step.

    ``question`` is one of the chain's questions (its backend's tools). Returns ``None``
    once the last step is stored, else the failed outcome naming the step that failed.

    Raises:
        SuiteError: the suite lacks the prompts or the chain.
    """
    context = current_context()
    memory, prereqs = _memory_parts(context, question, suite_extra)
    if chain_key(question.case_id, question.category) != key:
        raise SuiteError(f"{question.case_id} does not wait for chain {key}")
    store = SnapshotStore(context.engine)
    try:
        await run_memory_chain(
            context.run_id, prereqs, question.functions, spec, pool, memory, store
        )
    except ChainFailed as exc:
        return failed(
            exc.outcome.error_type or PREREQUISITE_FAILED,
            f"prerequisite {exc.case_id} failed: {exc.outcome.error_message}",
            attempts=exc.outcome.attempts,
        )
    return None
