"""Time from a worker's SIGKILL to its shards running on another worker (default settings).

Two ``farm worker`` processes share a run against the simulator (PostgreSQL, Redis). Once
the first holds shards, it is killed with SIGKILL; the script watches the database until
every shard it held is leased by (or finished on) the other worker, and prints:

* when the dead worker's leases expired and when its shards ran elsewhere, in seconds
  after the SIGKILL, next to the bound ``lease + sweep period`` of the settings in force;
* the same bound under the previous default lease (900 s), and the ratio of the two;
* that every case has exactly one result.

Nothing but ``FARM_DATABASE_URL``, ``FARM_BROKER_URL``, ``FARM_BROKER_KEY_PREFIX`` and
``FARM_HOME`` is set for the workers: leases, heartbeat and sweep use the defaults.

Usage: python bench/worker_failover.py [--latency 3.0]
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
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from farm.config import load_settings  # noqa: E402
from farm.db.engine import make_engine, session_scope  # noqa: E402
from farm.db.migrate import upgrade  # noqa: E402
from farm.db.models import Result, Run, Shard  # noqa: E402
from farm.failures import sweep_seconds  # noqa: E402
from farm.models.registry import lookup_model  # noqa: E402
from farm.producer import RunRequest, submit  # noqa: E402
from farm.simulator.config import SimulatorConfig  # noqa: E402
from farm.simulator.server import running_simulator  # noqa: E402
from farm.suites.store import load_cases  # noqa: E402
from tests.fixtures.minisuite import load_mini_suite  # noqa: E402

ADMIN_URL = os.environ.get(
    "FARM_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("FARM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
OLD_LEASE_SECONDS = 900


def admin(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def start_worker(
    name: str, url: str, env: dict[str, str], shards: int, log: Path
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "farm", "worker", "--model", "simulator", "--endpoint", url]
    args += ["--shards", str(shards), "--concurrency", "8", "--name", name]
    return subprocess.Popen(
        args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=3.0, help="Seconds per request.")
    args = parser.parse_args()
    db = f"farm_bench_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{db}"')
    url = make_url(ADMIN_URL).set(database=db).render_as_string(hide_password=False)
    prefix = f"farm-bench-{uuid.uuid4().hex[:8]}:"
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="farm-failover-") as tmp:
        home = Path(tmp)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("FARM_", "VLLM_", "OPENAI_"))
        }
        env.update(
            FARM_HOME=str(home),
            FARM_DATABASE_URL=url,
            FARM_BROKER_URL=REDIS_URL,
            FARM_BROKER_KEY_PREFIX=prefix,
            PYTHONPATH=str(REPO),
        )
        os.environ.update({k: v for k, v in env.items() if k.startswith("FARM_")})
        settings = load_settings()
        engine = make_engine(settings)
        try:
            upgrade(engine)
            suite = load_mini_suite(settings, engine)
            with session_scope(engine) as session:
                cases = load_cases(session, suite.id, categories=["single_turn"])
            config = SimulatorConfig(latency_s=args.latency, capacity=64)
            with running_simulator(cases, config) as sim:
                victim = start_worker("victim@bench", sim.base_url, env, 2, home / "victim.log")
                procs.append(victim)
                request = RunRequest(
                    lookup_model(settings, "simulator"),
                    f"bfcl@{suite.version}",
                    ["single_turn"],
                    shard_size=4,
                )
                planned = submit(settings, engine, request)
                held = wait_for_leases(engine, planned.run_id, "victim@bench", 2)
                survivor = start_worker(
                    "survivor@bench", sim.base_url, env, 8, home / "survivor.log"
                )
                procs.append(survivor)
                time.sleep(3.0)  # the survivor is up and working
                held = shards_of(engine, planned.run_id, "victim@bench")
                victim.send_signal(signal.SIGKILL)
                killed = time.monotonic()
                killed_at = datetime.now().astimezone()
                victim.wait()
                expiry, elsewhere = watch(engine, planned.run_id, held, killed)
                if not wait_done(engine, planned.run_id):
                    print((home / "survivor.log").read_text()[-3000:])
                    with session_scope(engine) as session:
                        for shard in session.scalars(
                            select(Shard).where(Shard.run_id == planned.run_id)
                        ):
                            print(shard.shard_no, shard.status, shard.lease_owner, shard.attempts)
                    raise SystemExit("the run did not finish")
                report(
                    settings.lease_seconds,
                    held,
                    killed_at,
                    engine,
                    planned.run_id,
                    expiry,
                    elsewhere,
                    planned.n_cases,
                )
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
            engine.dispose()
            admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'")
            admin(f'DROP DATABASE IF EXISTS "{db}"')


def shards_of(engine: object, run_id: uuid.UUID, owner: str) -> dict[int, datetime]:
    """The shards ``owner`` leases now, with their lease expiry."""
    with session_scope(engine) as session:  # type: ignore[arg-type]
        rows = session.execute(
            select(Shard.shard_no, Shard.lease_expires_at).where(
                Shard.run_id == run_id, Shard.lease_owner == owner, Shard.status == "running"
            )
        ).all()
    return {no: expires for no, expires in rows}


def wait_for_leases(
    engine: object, run_id: uuid.UUID, owner: str, count: int
) -> dict[int, datetime]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        held = shards_of(engine, run_id, owner)
        if len(held) >= count:
            return held
        time.sleep(0.1)
    raise SystemExit(f"{owner} never held {count} shards; see its log")


def watch(
    engine: object, run_id: uuid.UUID, held: dict[int, datetime], killed: float
) -> tuple[float, dict[int, float]]:
    """Seconds from the kill to the last lease expiry, and to each shard running elsewhere."""
    elsewhere: dict[int, float] = {}
    expiry = 0.0
    deadline = time.monotonic() + 2 * OLD_LEASE_SECONDS
    while len(elsewhere) < len(held) and time.monotonic() < deadline:
        with session_scope(engine) as session:  # type: ignore[arg-type]
            rows = session.execute(
                select(Shard.shard_no, Shard.status, Shard.lease_owner).where(
                    Shard.run_id == run_id, Shard.shard_no.in_(list(held))
                )
            ).all()
        now = time.monotonic() - killed
        for no, status, owner in rows:
            if no in elsewhere:
                continue
            if status == "done" or (owner is not None and owner != "victim@bench"):
                elsewhere[no] = now
            elif owner is None and not expiry:
                expiry = now
        time.sleep(0.1)
    return expiry, elsewhere


def wait_done(engine: object, run_id: uuid.UUID) -> bool:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with session_scope(engine) as session:  # type: ignore[arg-type]
            if session.scalar(select(Run.status).where(Run.id == run_id)) == "done":
                return True
        time.sleep(0.2)
    return False


def report(
    lease: int,
    held: dict[int, datetime],
    killed_at: datetime,
    engine: object,
    run_id: uuid.UUID,
    expiry: float,
    elsewhere: dict[int, float],
    n_cases: int,
) -> None:
    sweep = sweep_seconds(lease)
    worst = max(elsewhere.values()) if elsewhere else float("nan")
    remaining = [(at - killed_at).total_seconds() for at in held.values()]
    with session_scope(engine) as session:  # type: ignore[arg-type]
        results = session.scalar(select(func.count()).where(Result.run_id == run_id)) or 0
        distinct = session.scalar(
            select(func.count(func.distinct(Result.case_id))).where(Result.run_id == run_id)
        )
    print(f"settings: FARM_LEASE_SECONDS={lease} (default), sweep every {sweep:.1f} s")
    print(
        f"killed worker held shards {sorted(held)}; their leases had "
        f"{min(remaining):.1f}-{max(remaining):.1f} s left at the SIGKILL"
    )
    if expiry:
        print(f"SIGKILL -> first lease swept:            {expiry:6.1f} s")
    for no, seconds in sorted(elsewhere.items()):
        print(f"SIGKILL -> shard {no} running elsewhere:     {seconds:6.1f} s")
    bound = lease + sweep
    old = OLD_LEASE_SECONDS + max(2.0, OLD_LEASE_SECONDS / 4)
    print(f"SIGKILL -> all its shards running elsewhere: {worst:6.1f} s (bound {bound:.1f} s)")
    print(f"previous default (900 s lease): bound {old:.0f} s; now {worst / old:.3f} of it")
    print(f"results: {results} rows, {distinct} distinct cases, {n_cases} planned")
    if results != n_cases or distinct != n_cases:
        raise SystemExit("results are not exactly one per case")


if __name__ == "__main__":
    main()
