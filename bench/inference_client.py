"""Client overhead against the simulator: farm's httpx pool vs openai.AsyncOpenAI, side by side.

The simulator runs in a child process with C slots and L seconds per request; N cases are
sent with C in flight. The ideal wall time is ceil(N / C) * L. Prints each client's wall time
and its ratio to the ideal, measured in one run.

    python bench/inference_client.py --cases 3641 --slots 64 --latency 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import tempfile
import time
from pathlib import Path

import httpx
import openai

from farm.config import load_settings
from farm.endpoints.pool import EndpointPool
from farm.inference import build_request, infer_case
from farm.models.registry import EndpointConfig, ModelSpec
from farm.simulator.server import SimulatorConfig, running_simulator
from farm.suites.case import Case
from tests.fixtures.minisuite import make_mini_wheel


def synthetic_cases(n: int) -> list[Case]:
    from farm.suites.wheel import read_wheel

    base = [
        c
        for c in read_wheel(make_mini_wheel(Path(tempfile.mkdtemp()))).cases
        if not c.category.startswith("multi_turn")
    ]
    out = []
    for i in range(n):
        case = base[i % len(base)]
        turn = [dict(m) for m in case.turns[0]]
        turn[-1]["content"] = f"{turn[-1]['content']} (#{i})"
        out.append(dataclasses.replace(case, case_id=f"{case.case_id}#{i}", turns=[turn]))
    return out


async def run_farm_client(url: str, cases: list[Case], slots: int, mode: str) -> float:
    """Run every case through infer_case with ``slots`` requests in flight."""
    spec = ModelSpec(
        key="bench", mode=mode, endpoints=[EndpointConfig(base_url=url)], max_concurrency=slots
    )
    async with EndpointPool(spec, load_settings()) as pool:
        start = time.perf_counter()
        outcomes = await asyncio.gather(*(infer_case(c, spec, pool) for c in cases))
        wall = time.perf_counter() - start
    assert all(o.ok for o in outcomes), [o.error_message for o in outcomes if not o.ok][:3]
    return wall


async def run_openai_client(url: str, cases: list[Case], slots: int) -> float:
    spec = ModelSpec(key="bench", mode="fc", endpoints=[EndpointConfig(base_url=url)])
    http = httpx.AsyncClient(
        limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
    )
    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", http_client=http, max_retries=0)
    limit = asyncio.Semaphore(slots)

    async def one(case: Case) -> None:
        request = build_request(case, spec)
        kwargs = {"tools": request.tools} if request.tools else {}
        async with limit:
            await client.chat.completions.create(
                model="bench", messages=request.messages, temperature=0.001, **kwargs
            )

    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in cases))
    wall = time.perf_counter() - start
    await client.close()
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3641)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--inflight", type=int, default=0, help="client limit; 0 = 2 x slots")
    parser.add_argument("--skip-openai", action="store_true", help="skip the slow SDK client")
    args = parser.parse_args()
    inflight = args.inflight or 2 * args.slots
    cases = synthetic_cases(args.cases)
    ideal = math.ceil(args.cases / args.slots) * args.latency
    config = SimulatorConfig(capacity=args.slots, latency_s=args.latency, subprocess=True)
    with running_simulator(cases, config) as sim:
        results = {
            f"farm pool, FC, {args.slots} in flight": asyncio.run(
                run_farm_client(sim.base_url, cases, args.slots, "fc")
            ),
            f"farm pool, FC, {inflight} in flight": asyncio.run(
                run_farm_client(sim.base_url, cases, inflight, "fc")
            ),
            f"farm pool, prompt, {inflight} in flight": asyncio.run(
                run_farm_client(sim.base_url, cases, inflight, "prompt")
            ),
        }
        if not args.skip_openai:
            results[f"openai.AsyncOpenAI, FC, {args.slots}"] = asyncio.run(
                run_openai_client(sim.base_url, cases, args.slots)
            )
    print(f"{args.cases} cases, {args.slots} slots x {args.latency}s: ideal {ideal:.2f}s")
    for name, wall in results.items():
        print(f"  {name:34s} {wall:6.2f}s  ratio to ideal {wall / ideal:5.3f}")


if __name__ == "__main__":
    main()
