"""Tool retrieval over the simulator's embeddings, and the in-process fake oracle."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from farm.config import load_settings
from farm.endpoints.embeddings import EmbeddingClient, select_tools
from farm.endpoints.pool import EndpointPool
from farm.errors import ConfigError
from farm.inference import BAD_REQUEST, infer_case
from farm.models.registry import EndpointConfig
from farm.resolve import resolve_model
from farm.scoring import score_case
from farm.simulator.server import SimulatorConfig, running_simulator


def test_tool_retrieval_keeps_the_k_most_similar_functions_in_doc_order(farm_home, single_turn):
    case = next(c for c in single_turn if c.case_id == "live_multiple_0-0-0")
    assert len(case.functions) > 1
    question = case.turns[0][-1]["content"]
    with running_simulator(single_turn, SimulatorConfig()) as sim:

        async def go():
            client = EmbeddingClient(EndpointConfig(base_url=sim.base_url), "embed")
            try:
                one = await select_tools(case, 1, client)
                everything = await select_tools(case, len(case.functions), client)
                return one, everything
            finally:
                await client.aclose()

        one, everything = asyncio.run(go())
    assert everything is case
    (kept,) = one.functions
    assert kept["name"] == "cancel_order", question
    assert one.case_id == case.case_id and one.answer == case.answer


def test_tool_retrieval_needs_an_embedding_endpoint_and_a_positive_k(farm_home, single_turn):
    with pytest.raises(ConfigError, match="EMBEDDING_BASE_URL"):
        EmbeddingClient.from_env("embed")
    client = EmbeddingClient(EndpointConfig(base_url="http://127.0.0.1:9/v1"), "embed")
    with pytest.raises(ConfigError, match="at least 1"):
        asyncio.run(select_tools(single_turn[0], 0, client))


@pytest.mark.parametrize("name", ["fake/oracle", "fake/oracle-prompt"])
def test_the_fake_oracle_answers_every_case_correctly_without_a_server(
    farm_home, single_turn, name
):
    spec = resolve_model(load_settings(), name)

    async def go():
        async with EndpointPool(spec, load_settings()) as pool:
            return await asyncio.gather(*(infer_case(c, spec, pool) for c in single_turn))

    for case, outcome in zip(single_turn, asyncio.run(go()), strict=True):
        assert outcome.ok and outcome.endpoint == "fake://oracle"
        verdict = score_case(
            case, outcome.raw_output, mode=spec.mode, underscore_to_dot=spec.dots_replaced
        )
        assert verdict.valid, (case.case_id, outcome.raw_output)


def test_docs_that_cannot_be_converted_fail_the_case_not_the_run(farm_home, single_turn):
    case = next(c for c in single_turn if c.category == "simple_python")
    doc = dict(case.functions[0])
    doc["parameters"] = {
        "type": "dict",
        "properties": {"xs": {"type": "array", "description": "", "items": {"type": "blob"}}},
    }
    broken = dataclasses.replace(case, functions=[doc])
    spec = resolve_model(load_settings(), "fake/oracle")

    async def go():
        async with EndpointPool(spec, load_settings()) as pool:
            return await infer_case(broken, spec, pool)

    outcome = asyncio.run(go())
    assert outcome.raw_output is None and outcome.error_type == BAD_REQUEST
    assert "cannot be converted" in outcome.error_message


def test_infer_case_with_tool_retrieval_offers_fewer_functions_and_still_scores(
    farm_home, single_turn
):
    from farm.inference import ToolRetrieval
    from farm.models.registry import ModelSpec

    case = next(c for c in single_turn if c.case_id == "live_multiple_0-0-0")
    with running_simulator(single_turn, SimulatorConfig()) as sim:
        spec = ModelSpec(key="sim", endpoints=[EndpointConfig(base_url=sim.base_url)])

        async def go(k):
            client = EmbeddingClient(EndpointConfig(base_url=sim.base_url), "embed")
            retrieval = ToolRetrieval(k, client) if k else None
            try:
                async with EndpointPool(spec, load_settings()) as pool:
                    return await infer_case(case, spec, pool, tool_retrieval=retrieval)
            finally:
                await client.aclose()

        narrowed, full = asyncio.run(go(1)), asyncio.run(go(0))
    assert narrowed.ok and full.ok
    assert narrowed.input_tokens < full.input_tokens  # one tool sent instead of all
    assert score_case(case, narrowed.raw_output, mode="fc", underscore_to_dot=True).valid
    with pytest.raises(ConfigError, match="at least 1"):
        ToolRetrieval(0, EmbeddingClient(EndpointConfig(base_url="http://x/v1"), "e"))
