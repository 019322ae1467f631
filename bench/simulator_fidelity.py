"""How faithfully the simulator answers the real suite: every single-turn case, both modes, scored.

With a wrong-answer rate of 0 every failure is either a BFCL data quirk (a required
parameter whose only acceptable value is "omitted"), a pair of content-identical cases that
expect opposite behaviour, or a Java value the decoder cannot read back.

    python bench/simulator_fidelity.py /path/to/bfcl_eval-2026.3.23-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from pathlib import Path

from farm.config import load_settings
from farm.endpoints.pool import EndpointPool
from farm.inference import infer_case
from farm.models.registry import EndpointConfig, ModelSpec
from farm.scoring import score_case
from farm.simulator.server import SimulatorConfig, running_simulator
from farm.suites.wheel import read_wheel


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("wheel", type=Path)
    args = parser.parse_args()
    data = read_wheel(args.wheel)
    cases = [c for c in data.cases if not c.category.startswith("multi_turn")]
    config = SimulatorConfig(subprocess=True)
    with running_simulator(data.cases, config, suite_extra=data.extra) as sim:
        for mode in ("fc", "prompt"):
            spec = ModelSpec(
                key="sim",
                mode=mode,
                endpoints=[EndpointConfig(base_url=sim.base_url)],
                max_concurrency=128,
            )

            async def run(spec: ModelSpec = spec) -> list:
                async with EndpointPool(spec, load_settings()) as pool:
                    return await asyncio.gather(*(infer_case(c, spec, pool) for c in cases))

            start = time.perf_counter()
            outcomes = asyncio.run(run())
            wall = time.perf_counter() - start
            failed: collections.Counter[str] = collections.Counter()
            for case, outcome in zip(cases, outcomes, strict=True):
                verdict = score_case(
                    case, outcome.raw_output, mode=mode, underscore_to_dot=spec.dots_replaced
                )
                if not verdict.valid:
                    failed[case.category] += 1
            valid = len(cases) - sum(failed.values())
            print(f"{mode:6s} {valid}/{len(cases)} valid in {wall:.1f}s; invalid: {dict(failed)}")


if __name__ == "__main__":
    main()
