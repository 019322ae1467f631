"""Throughput of a run against the simulator, side by side in one run.

Prints, for N cases against a simulator with C slots and L seconds per request:

* the limit N*L/C;
* the embedded executor (what ``farm run`` does: SQLite, in-process, same shard code);
* one distributed worker (``farm worker`` process, Redis broker, PostgreSQL);
* k distributed workers, each on its own simulator, sharing one run;

with each one's ratio to the limit, and the k-worker speed-up over one worker.

Usage: python bench/throughput.py [--wheel bfcl_eval-2026.3.23-py3-none-any.whl] [--k 2]
Needs PostgreSQL (FARM_TEST_POSTGRES_ADMIN_URL) and Redis (FARM_TEST_REDIS_URL) as the tests.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from farm.config import Settings, load_settings  # noqa: E402
from farm.db.engine import make_engine, session_scope  # noqa: E402
from farm.db.migrate import open_database, upgrade  # noqa: E402
from farm.db.models import Run  # noqa: E402
from farm.local import run_locally  # noqa: E402
from farm.producer import RunRequest, plan_run, submit  # noqa: E402
from farm.resolve import resolve_model  # noqa: E402
from farm.simulator.config import SimulatorConfig  # noqa: E402
from farm.simulator.server import running_simulator  # noqa: E402
from farm.suites.bfcl import pull_bfcl  # noqa: E402
from farm.suites.store import load_cases  # noqa: E402

ADMIN_URL = os.environ.get(
    "FARM_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FARM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def create_database() -> str:
    name = f"farm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def sim_config(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(capacity=args.capacity, latency_s=args.latency, subprocess=True)


def embedded(args: argparse.Namespace, home: Path, wheel: Path | None) -> tuple[float, int]:
    settings = load_settings(home=home)
    engine = open_database(settings)
    suite = pull_bfcl(settings, engine, wheel=wheel)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=[args.categories])
    with running_simulator(cases, sim_config(args)) as sim:
        spec = resolve_model(settings, "simulator", endpoint=sim.base_url)
        spec = spec.model_copy(update={"max_concurrency": args.in_flight})
        start = time.perf_counter()
        with session_scope(engine) as session:
            planned = plan_run(
                session,
                RunRequest(model=spec, suite=f"bfcl@{suite.version}", categories=[args.categories]),
            )
        run_locally(settings, engine, spec, planned.run_id)
        took = time.perf_counter() - start
    assert_done(engine, planned.run_id)
    engine.dispose()
    return took, planned.n_cases


def assert_done(engine: Engine, run_id: uuid.UUID) -> None:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "done", run and run.status


def start_worker(
    settings: Settings, endpoint: str, log: Path, in_flight: int
) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FARM_") or k == "FARM_TRUSTED_ENV_SOURCES"
    }
    env.update(
        FARM_HOME=str(settings.home),
        FARM_DATABASE_URL=settings.database_url or "",
        FARM_BROKER_URL=settings.broker_url or "",
        FARM_BROKER_KEY_PREFIX=settings.broker_key_prefix,
        PYTHONPATH=str(REPO),
    )
    args = [sys.executable, "-m", "farm", "worker", "--model", "simulator", "--endpoint", endpoint]
    args += ["--concurrency", str(in_flight)]
    return subprocess.Popen(
        [*args, "--loglevel", "INFO"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def wait_ready(logs: list[Path], procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 60
    while not all(" ready." in p.read_text(errors="replace") for p in logs):
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            raise SystemExit("a worker did not start:\n" + logs[0].read_text(errors="replace"))
        time.sleep(0.1)


def distributed(
    args: argparse.Namespace, settings: Settings, engine: Engine, suite_spec: str, k: int, tmp: Path
) -> float:
    with session_scope(engine) as session:
        from farm.suites.store import resolve_suite

        suite = resolve_suite(session, suite_spec)
        cases = load_cases(session, suite.id, categories=[args.categories])
    with ExitStack() as stack:
        sims = [stack.enter_context(running_simulator(cases, sim_config(args))) for _ in range(k)]
        logs = [tmp / f"worker-{k}-{i}.log" for i in range(k)]
        procs = [
            start_worker(settings, sim.base_url, log, args.in_flight)
            for sim, log in zip(sims, logs, strict=True)
        ]
        try:
            wait_ready(logs, procs)
            spec = resolve_model(settings, "simulator", endpoint=sims[0].base_url)
            spec = spec.model_copy(update={"max_concurrency": args.in_flight})
            start = time.perf_counter()
            planned = submit(
                settings,
                engine,
                RunRequest(model=spec, suite=suite_spec, categories=[args.categories]),
            )
            while True:
                with session_scope(engine) as session:
                    run = session.get(Run, planned.run_id)
                    if run is not None and run.status == "done":
                        break
                if time.perf_counter() - start > 300:
                    raise SystemExit("the distributed run did not finish in 300 s")
                time.sleep(0.05)
            took = time.perf_counter() - start
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="bfcl-eval wheel (default: pip download)")
    parser.add_argument("--categories", default="single_turn")
    parser.add_argument("--capacity", type=int, default=64, help="simulator slots C")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request L")
    parser.add_argument(
        "--in-flight",
        type=int,
        help="requests in flight per endpoint (default 2*C: the server's queue never runs dry)",
    )
    parser.add_argument("--k", type=int, default=2, help="workers (and simulators) for the k row")
    args = parser.parse_args()
    args.in_flight = args.in_flight or 2 * args.capacity
    with tempfile.TemporaryDirectory(prefix="farm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        emb, n = embedded(args, tmp / "home", args.wheel)
        limit = n * args.latency / args.capacity
        pg_url = create_database()
        try:
            engine = make_engine(pg_url)
            upgrade(engine)
            settings = load_settings(
                home=tmp / "home",
                database_url=pg_url,
                broker_url=REDIS_URL,
                broker_key_prefix=f"farm-bench-{uuid.uuid4().hex[:8]}:",
            )
            suite = pull_bfcl(settings, engine, wheel=args.wheel)
            suite_spec = f"bfcl@{suite.version}"
            one = distributed(args, settings, engine, suite_spec, 1, tmp)
            many = distributed(args, settings, engine, suite_spec, args.k, tmp)
            engine.dispose()
        finally:
            drop_database(pg_url)
    k_limit = limit / args.k
    ms = args.latency * 1000
    rows = [
        ("limit N*L/C", limit, limit),
        ("embedded (farm run, SQLite)", emb, limit),
        ("1 distributed worker (PostgreSQL)", one, limit),
        (f"{args.k} workers on {args.k} simulators", many, k_limit),
    ]
    print(
        f"{n} cases ({args.categories}), simulator {args.capacity} slots x {ms:.0f} ms, "
        f"{args.in_flight} requests in flight per endpoint"
    )
    print(f"{'':36}{'seconds':>9}{'limit':>9}{'of limit':>10}")
    for name, took, bound in rows:
        print(f"{name:36}{took:9.2f}{bound:9.2f}{bound / took:10.2f}")
    speedup = one / many
    print(
        f"speed-up of {args.k} workers over 1: {speedup:.2f}x ({speedup / args.k:.2f} of {args.k}x)"
    )


if __name__ == "__main__":
    main()
