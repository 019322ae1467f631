"""BFCL's memory categories (465 questions, 15 prerequisite chains) on the simulator, embedded.

Pulls the bfcl-eval wheel into a throwaway SQLite farm, starts the simulator (a subprocess
on loopback, also the embedding endpoint of the vector memory), runs ``memory`` with the
embedded executor and prints the wall time, the time until the last chain step was stored,
and the accuracy. ``--against DIR`` also runs another checkout's farm (e.g. the main
branch, before chains became shards of their own) with the same script, each in a process
of its own, and prints the two side by side with their ratio.

Usage: ``python bench/memory_chains.py --wheel PATH [--latency S] [--against DIR]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True, help="a bfcl-eval wheel")
    parser.add_argument("--latency", type=float, default=0.05, help="simulated s per request")
    parser.add_argument("--against", help="another checkout to run the same way")
    parser.add_argument("--tree", help=argparse.SUPPRESS)  # the checkout this process runs
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, str(Path(args.tree).resolve()))
        with tempfile.TemporaryDirectory() as home:
            os.environ["FARM_HOME"] = home
            print(run(Path(args.wheel), args.latency, Path(args.tree).resolve()))
        return
    here = str(Path(__file__).resolve().parent.parent)
    walls: list[float] = []
    for tree in [t for t in (args.against, here) if t]:
        line = (
            subprocess.run(
                [sys.executable, __file__, "--wheel", args.wheel, "--latency", str(args.latency)]
                + ["--tree", tree],
                capture_output=True,
                text=True,
                check=True,
                env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        walls.append(float(line.split(" s wall")[0].rsplit(" ", 1)[-1]))
        print(f"{tree}: {line}")
    if len(walls) == 2:
        print(f"wall time {args.against} / this checkout: {walls[0] / walls[1]:.2f}x")


def run(wheel: Path, latency: float, tree: Path) -> str:
    """One memory run with ``tree``'s farm; its summary line."""
    from sqlalchemy import func, select

    import farm
    from farm.config import load_settings
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.db.models import MemorySnapshotRow, Result, Run
    from farm.local import run_locally
    from farm.models.registry import EndpointConfig, lookup_model
    from farm.producer import RunRequest, plan_run
    from farm.simulator.config import SimulatorConfig
    from farm.simulator.server import running_simulator
    from farm.suites.bfcl import pull_bfcl
    from farm.suites.store import load_cases

    if farm.__file__ is None or Path(farm.__file__).resolve().parents[1] != tree:
        raise SystemExit(f"farm was imported from {farm.__file__}, not from {tree}")
    settings = load_settings()
    engine = open_database(settings)
    suite = pull_bfcl(settings, engine, wheel=wheel)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["memory"])
        extra = dict(suite.extra or {})
    config = SimulatorConfig(capacity=64, latency_s=latency, subprocess=True)
    with running_simulator(cases, config, suite_extra=extra) as sim:
        os.environ["EMBEDDING_BASE_URL"] = sim.base_url
        spec = lookup_model(settings, "simulator").model_copy(
            update={"endpoints": [EndpointConfig(base_url=sim.base_url)], "max_concurrency": 128}
        )
        with session_scope(engine) as session:
            planned = plan_run(
                session,
                RunRequest(model=spec, suite=f"bfcl@{suite.version}", categories=["memory"]),
            )
        started = time.monotonic()
        run_locally(settings, engine, spec, planned.run_id, shards=planned.shards)
        took = time.monotonic() - started
    with session_scope(engine) as session:
        run = session.get(Run, planned.run_id)
        assert run is not None and run.started_at is not None
        last_step = session.scalar(
            select(func.max(MemorySnapshotRow.created_at)).where(
                MemorySnapshotRow.run_id == planned.run_id
            )
        )
        valid = session.scalar(
            select(func.count()).where(Result.run_id == planned.run_id, Result.valid.is_(True))
        )
        chains = (last_step - run.started_at).total_seconds() if last_step else float("nan")
        return (
            f"{len(cases)} questions, {len(planned.shards)} shards, {took:.1f} s wall, "
            f"chains stored after {chains:.1f} s, {valid} valid, run {run.status}"
        )


if __name__ == "__main__":
    main()
