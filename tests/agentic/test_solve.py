"""Agentic cases solved end to end against the simulator over loopback HTTP: web search
through the web store, memory chains leaving snapshots in the database, scored by the
agentic checker. Cases, docs and prompts are small fixtures of our own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from farm.agentic.checker import score_agentic
from farm.agentic.snapshots import SnapshotStore
from farm.agentic.web.fetch import PageFetcher
from farm.agentic.web.guard import AddressPolicy
from farm.agentic.web.providers import get_provider
from farm.agentic.web.service import WebService
from farm.agentic.web.settings import WebSettings
from farm.agentic.web.store import WebStore
from farm.benchmarks.bfcl.agentic import (
    ChainFailed,
    MemoryContext,
    loop_embedder,
    prerequisite_cases,
    run_memory_chain,
    run_memory_conversation,
    solve_web_case,
)
from farm.config import load_settings
from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.endpoints.embeddings import EmbeddingClient
from farm.endpoints.pool import EndpointPool
from farm.models.registry import EndpointConfig, ModelSpec
from farm.simulator.server import SimulatorConfig, running_simulator
from tests.agentic.cases import (
    CHAIN,
    DOCS,
    KV_DOCS,
    PROMPTS,
    WEB_CASES,
    memory_question,
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'agentic.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def make_run(engine: Engine) -> uuid.UUID:
    """A run row (snapshots belong to runs)."""
    from farm.db.engine import session_scope
    from farm.db.models import Model, Run, Suite

    run_id = uuid.uuid4()
    with session_scope(engine) as session:
        suite = Suite(name="agentic-fixture", version=str(run_id), source="test", sha256="0")
        session.add(suite)
        session.add(Model(key=f"m-{run_id}", display_name="m", backend="endpoint", mode="fc"))
        session.flush()
        session.add(
            Run(
                id=run_id,
                model_key=f"m-{run_id}",
                suite_id=suite.id,
                categories=["memory_kv"],
                mode="fc",
                farm_version="test",
            )
        )
    return run_id


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    cases = [*WEB_CASES, *(memory_question(b) for b in DOCS)]
    with running_simulator(cases, SimulatorConfig()) as handle:
        yield handle


def spec(sim: Any, mode: str) -> ModelSpec:
    return ModelSpec(key="sim", mode=mode, endpoints=[EndpointConfig(base_url=sim.base_url)])


def web_service(sim: Any, engine: Engine, mode: str = "record") -> WebService:
    root = sim.base_url.removesuffix("/v1")
    if mode == "replay":
        return WebService(
            "replay",
            provider=None,
            fetcher=None,
            store=WebStore(engine),
            provider_name="farm-simulator",
        )
    provider = get_provider("farm-simulator", WebSettings(simulator_url=root))
    fetcher = PageFetcher(AddressPolicy.from_text("127.0.0.1/32"))
    return WebService(mode, provider=provider, fetcher=fetcher, store=WebStore(engine))  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_web_search_cases_search_fetch_answer_and_replay_identically(
    sim: Any, engine: Engine, mode: str
) -> None:
    async def solve(service: WebService) -> list[Any]:
        async with EndpointPool(spec(sim, mode), load_settings()) as pool:
            return [await solve_web_case(c, spec(sim, mode), pool, service) for c in WEB_CASES]

    recording = web_service(sim, engine)
    recorded = asyncio.run(solve(recording))
    for case, outcome in zip(WEB_CASES, recorded, strict=True):
        assert outcome.error_type is None, outcome.error_message
        steps = outcome.raw_output[0]
        assert len(steps) == 3  # search, fetch, answer
        verdict = score_agentic(outcome.raw_output, case.answer, mode=mode)
        assert verdict.valid, verdict.detail
    assert recording.counters.searches == 1 and recording.counters.searches_stored == 1
    assert recording.counters.fetches == 1 and recording.counters.fetches_stored == 1
    replaying = web_service(sim, engine, "replay")
    replayed = asyncio.run(solve(replaying))
    assert [o.raw_output for o in replayed] == [o.raw_output for o in recorded]
    assert replaying.counters.replay_misses == 0 and replaying.counters.searches == 0


@pytest.mark.parametrize("backend", ["kv", "rec_sum", "vector"])
def test_a_memory_chain_leaves_a_snapshot_its_questions_start_from(
    sim: Any, engine: Engine, backend: str
) -> None:
    category = f"memory_{backend}"
    prereqs = prerequisite_cases(category, "travel", CHAIN)
    assert [c.case_id for c in prereqs] == [
        f"{category}_prereq_0-travel-0",
        f"{category}_prereq_1-travel-1",
    ]
    store = SnapshotStore(engine)
    run_id = make_run(engine)
    model = spec(sim, "fc")

    async def go() -> Any:
        client = EmbeddingClient(EndpointConfig(base_url=sim.base_url), "all-MiniLM-L6-v2")
        memory = MemoryContext(PROMPTS, embed=loop_embedder(client))
        try:
            async with EndpointPool(model, load_settings()) as pool:
                final = await run_memory_chain(
                    run_id, prereqs, DOCS[backend], model, pool, memory, store
                )
                latest = store.latest(run_id, category, "travel")
                assert latest is not None
                question = memory_question(backend)
                outcome, _ = await run_memory_conversation(question, model, pool, memory, latest[1])
                return final, outcome
        finally:
            await client.aclose()

    final, outcome = asyncio.run(go())
    assert final is not None
    text = str(final.state)
    assert "Lisbon" in text and "window seats" in text
    step, latest = store.latest(run_id, category, "travel")
    assert step == 1 and latest == final
    assert outcome.error_type is None
    assert score_agentic(outcome.raw_output, ["Lisbon"], mode="fc").valid
    # the chain again: every step is stored, nothing runs
    again = asyncio.run(_rerun(sim, run_id, prereqs, backend, store))
    assert again == final


async def _rerun(sim, run_id, prereqs, backend, store):
    model = spec(sim, "fc")
    memory = MemoryContext(PROMPTS, embed=None if backend != "vector" else _no_embed)
    async with EndpointPool(model, load_settings()) as pool:
        return await run_memory_chain(run_id, prereqs, DOCS[backend], model, pool, memory, store)


def _no_embed(texts):  # pragma: no cover - a stored chain needs no embeddings
    raise AssertionError("nothing should be embedded")


def test_a_chain_step_that_fails_to_run_raises_and_keeps_the_steps_before(engine: Engine) -> None:
    dead = ModelSpec(
        key="dead", mode="fc", endpoints=[EndpointConfig(base_url="http://127.0.0.1:9/v1")]
    )
    prereqs = prerequisite_cases("memory_kv", "travel", CHAIN)

    async def go() -> None:
        async with EndpointPool(dead, load_settings()) as pool:
            await run_memory_chain(
                make_run(engine),
                prereqs,
                KV_DOCS,
                dead,
                pool,
                MemoryContext(PROMPTS),
                SnapshotStore(engine),
            )

    with pytest.raises(ChainFailed, match="memory_kv_prereq_0-travel-0"):
        asyncio.run(go())


def test_a_snapshot_of_an_unknown_run_is_refused(engine: Engine) -> None:
    from farm.agentic.memory.backends import MemorySnapshot
    from farm.errors import StorageError

    snap = MemorySnapshot("MemoryAPI_kv", "travel", {"core_memory": {}, "archival_memory": {}})
    with pytest.raises(StorageError):
        SnapshotStore(engine).save(uuid.uuid4(), "memory_kv", 0, "p0", snap)


def test_a_question_whose_chain_is_not_stored_fails_without_running(engine: Engine) -> None:
    from farm.benchmarks.bfcl.agentic import solve_agentic
    from farm.benchmarks.context import SolveContext, reset_context, set_context
    from farm.result_row import PREREQUISITE_FAILED

    run_id = make_run(engine)
    dead = ModelSpec(
        key="dead", mode="fc", endpoints=[EndpointConfig(base_url="http://127.0.0.1:9/v1")]
    )
    extra = {"agentic_prompts": PROMPTS, "memory_prereq": {"travel": CHAIN}}

    async def go() -> Any:
        token = set_context(SolveContext(engine, run_id, 0))
        try:
            async with EndpointPool(dead, load_settings()) as pool:
                return await solve_agentic(memory_question("kv"), dead, pool, extra)
        finally:
            reset_context(token)

    outcome = asyncio.run(go())  # no request is sent: the endpoint is not even reachable
    assert outcome.error_type == PREREQUISITE_FAILED and outcome.attempts == 0
    assert "memory_kv:travel is not stored for this run (0 of 2" in str(outcome.error_message)
