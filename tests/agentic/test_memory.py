"""The memory backends: BFCL's tools, limits and texts, snapshots, the vector memory's search
through the simulator's real ``/v1/embeddings`` on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest

from farm.agentic.memory.backends import (
    MemorySnapshot,
    memory_system_prompt,
    open_backend,
    restore,
    take_snapshot,
    with_memory_prompt,
)
from farm.agentic.memory.embed import LoopEmbedder
from farm.agentic.memory.kv import MemoryKV
from farm.agentic.memory.rec_sum import MemoryRecSum
from farm.agentic.memory.vector import MemoryVector
from farm.endpoints.embeddings import EmbeddingClient
from farm.errors import SuiteError
from farm.models.registry import EndpointConfig
from farm.multiturn.dispatch import execute_call
from farm.multiturn.envs import Environment
from farm.simulator.server import SimulatorConfig, running_simulator

PROMPTS = {
    "MEMORY_AGENT_SETTINGS": {"customer": "You help customers."},
    "MEMORY_BACKEND_INSTRUCTION_CORE_ARCHIVAL": "{scenario_setting}\nCore:\n{memory_content}\n",
    "MEMORY_BACKEND_INSTRUCTION_UNIFIED": "{scenario_setting}\nAll:\n{memory_content}\n",
}


def env_of(name: str, backend: object) -> Environment:
    methods = {
        m: (name, getattr(backend, m))
        for m in dir(backend)
        if not m.startswith("_") and callable(getattr(backend, m))
    }
    return Environment(instances={name: backend}, methods=methods)


def test_kv_tools_limits_and_texts() -> None:
    kv = MemoryKV()
    assert kv.core_memory_add("first_name", "Michael") == {"status": "Key-value pair added."}
    assert kv.core_memory_add("first_name", "x") == {"error": "Key name must be unique."}
    assert kv.core_memory_add("First Name", "x")["error"].startswith("Key must be in snake_case")
    assert kv.core_memory_add("k2", "x" * 301)["error"].endswith("less than 300 characters.")
    for i in range(6):
        kv.core_memory_add(f"key_{i}", str(i))
    assert kv.core_memory_add("one_more", "x") == {
        "error": "Core memory is full. Please clear some entries."
    }
    assert kv.core_memory_replace("key_0", "zero") == {"status": "Key replaced."}
    assert kv.core_memory_retrieve("key_0") == {"value": "zero"}
    assert kv.core_memory_remove("nope") == {"error": "Key not found."}
    assert kv.archival_memory_add("home_city", "Seattle") == {"status": "Key added."}
    assert kv.archival_memory_list_keys() == {"keys": ["home_city"]}
    assert kv.archival_memory_clear() == {"status": "Long term memory cleared."}
    assert kv.core_memory_clear() == {"status": "Short term memory cleared."}


def test_kv_key_search_ranks_with_bm25_plus_and_fails_on_an_empty_memory_as_bfcl() -> None:
    kv = MemoryKV()
    for key in ("favourite_latte", "home_city", "kitchen_counter_size", "latte_art_class"):
        kv.archival_memory_add(key, "v")
    ranked = kv.archival_memory_key_search("latte", k=2)["ranked_results"]
    assert [text for _score, text in ranked] == ["favourite_latte", "latte_art_class"]
    assert ranked[0][0] > 0
    env = env_of("MemoryAPI_kv", MemoryKV())
    assert execute_call(env, "core_memory_key_search(query='x')") == (
        "Error during execution: division by zero"
    )
    rendered = json.loads(execute_call(env_of("MemoryAPI_kv", kv), "archival_memory_list_keys()"))
    assert rendered == {
        "keys": ["favourite_latte", "home_city", "kitchen_counter_size", "latte_art_class"]
    }


def test_rec_sum_tools() -> None:
    mem = MemoryRecSum()
    assert mem.memory_retrieve() == {"error": "Memory is empty."}
    assert mem.memory_append("Michael, 35.") == {"status": "Memory appended."}
    assert mem.memory_replace("35", "36") == {"status": "Memory updated."}
    assert mem.memory_replace("40", "41") == {"error": "Text '40' not found in memory."}
    assert mem.memory_retrieve() == {"memory_content": "Michael, 36."}
    assert mem.memory_append("x" * 10000)["error"].startswith("Entry will be too long after app")
    assert mem.memory_update("y" * 10001)["error"].startswith("Entry will be too long after upd")


def test_kv_and_rec_sum_snapshots_round_trip_through_json() -> None:
    kv = MemoryKV()
    kv.core_memory_add("first_name", "Michael")
    kv.archival_memory_add("home_city", "Seattle")
    snap = take_snapshot(kv, "MemoryAPI_kv", "customer")
    assert snap.state == {
        "core_memory": {"first_name": "Michael"},
        "archival_memory": {"home_city": "Seattle"},
    }
    again = restore(MemorySnapshot.from_json(snap.to_json()))
    assert isinstance(again, MemoryKV)
    assert again.archival_memory_retrieve("home_city") == {"value": "Seattle"}
    rec = MemoryRecSum()
    rec.memory_append("notes")
    back = restore(MemorySnapshot.from_json(take_snapshot(rec, "MemoryAPI_rec_sum", "s").to_json()))
    assert isinstance(back, MemoryRecSum) and back.memory_retrieve()["memory_content"] == "notes"
    with pytest.raises(SuiteError):
        MemorySnapshot.from_json('{"class": "MemoryAPI_x", "scenario": "s", "state": {}}')
    with pytest.raises(SuiteError):
        restore(MemorySnapshot("MemoryAPI_kv", "s", {"core": {}}))


def test_the_memory_system_prompt_follows_bfcls_composition() -> None:
    kv = MemoryKV()
    assert memory_system_prompt(kv, "MemoryAPI_kv", "customer", PROMPTS) == (
        "You help customers.\nCore:\nThere is no content in the core memory at this point.\n"
    )
    kv.core_memory_add("first_name", "Michael")
    assert '"first_name": "Michael"' in memory_system_prompt(
        kv, "MemoryAPI_kv", "customer", PROMPTS
    )
    rec = MemoryRecSum()
    assert "All:\nThere is no content in the memory" in memory_system_prompt(
        rec, "MemoryAPI_rec_sum", "customer", PROMPTS
    )
    turns = [[{"role": "system", "content": "FORMAT"}, {"role": "user", "content": "q"}]]
    assert with_memory_prompt(turns, "MEM")[0][0]["content"] == "MEM\n\nFORMAT"
    assert turns[0][0]["content"] == "FORMAT"
    assert with_memory_prompt([[{"role": "user", "content": "q"}]], "MEM")[0][0] == {
        "role": "system",
        "content": "MEM",
    }
    with pytest.raises(SuiteError):
        memory_system_prompt(kv, "MemoryAPI_kv", "student", PROMPTS)


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_vector_memory_searches_exactly_with_the_endpoints_embeddings(
    loop_thread: asyncio.AbstractEventLoop,
) -> None:
    with running_simulator([], SimulatorConfig()) as sim:
        client = EmbeddingClient(EndpointConfig(base_url=sim.base_url), "all-MiniLM-L6-v2")
        embed = LoopEmbedder(client, loop_thread, timeout=10)
        try:
            check_vector_memory(embed)
        finally:
            asyncio.run_coroutine_threadsafe(client.aclose(), loop_thread).result(5)
    with pytest.raises(SuiteError):
        open_backend("MemoryAPI_vector")


def check_vector_memory(embed: LoopEmbedder) -> None:
    mem = open_backend("MemoryAPI_vector", embed=embed)
    assert isinstance(mem, MemoryVector)
    assert mem.archival_memory_retrieve("anything") == {"result": []}
    assert mem.archival_memory_add("I live in Seattle near the lake") == {"id": 0}
    assert mem.archival_memory_add("My favourite latte is oat milk vanilla") == {"id": 1}
    assert mem.archival_memory_add("The kitchen counter is forty square feet") == {"id": 2}
    top = mem.archival_memory_retrieve("favourite latte with oat milk", top_k=2)["result"]
    assert [r["id"] for r in top] == [1, top[1]["id"]] and len(top) == 2
    assert top[0]["similarity_score"] >= top[1]["similarity_score"]
    assert mem.archival_memory_remove(7) == {"error": "ID 7 not present in store."}
    assert mem.archival_memory_update(2, "x" * 2001)["error"].startswith("Entry length")
    with pytest.raises(TypeError):  # no length: BFCL's call fails the same way
        mem.core_memory_add(5)  # type: ignore[arg-type]
    snap = take_snapshot(mem, "MemoryAPI_vector", "customer")
    assert snap.state["archival_memory"]["next_id"] == 3
    back = restore(MemorySnapshot.from_json(snap.to_json()), embed=embed)
    assert isinstance(back, MemoryVector)
    assert back.archival_memory_retrieve("favourite latte with oat milk", top_k=2) == {
        "result": top
    }
    assert back.archival_memory_add("new") == {"id": 3}
