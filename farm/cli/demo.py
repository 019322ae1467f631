"""``farm demo``: the README's first command.

Starts the simulator on a free port (a subprocess), pulls the BFCL suite if needed, runs the
13 single-turn categories on the embedded executor, prints the leaderboard row and says
what to do next.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
import httpx

from farm.cli.context import cli_settings, console
from farm.config import Settings
from farm.errors import ConfigError

NEXT_STEPS = """\
What happened: the farm started its simulator (an OpenAI-compatible server that answers
from BFCL's ground truth with some deliberate mistakes) at {url}, loaded BFCL {version}
into {db}, ran the {n} single-turn cases through the embedded executor (no broker: the same
shard code the distributed workers run) and scored them exactly as BFCL does.

Next:
  * a real endpoint:
        farm run --model my-model --mode fc --endpoint http://host:8000/v1 -c single_turn
  * the distributed farm (PostgreSQL + Redis; see docs/runs.md):
        export FARM_DATABASE_URL=postgresql+psycopg://user@host/farm
        export FARM_BROKER_URL=redis://host:6379/0
        farm db upgrade
        farm worker --model my-model --endpoint http://gpu-host:8000/v1      # one per endpoint
        farm submit --model my-model --categories all --wait
  * host the model on GPUs instead of attaching: farm worker --model <preset> --gpus 0,1
  * look at the results:  farm runs;  farm leaderboard;  farm status {run}
"""


def free_port() -> int:
    """A TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of a farm subprocess that sees the same home and database."""
    env = dict(os.environ)
    env["FARM_HOME"] = str(settings.home)
    if settings.database_url:
        env["FARM_DATABASE_URL"] = settings.database_url
    return env


@contextmanager
def simulator_process(
    settings: Settings, suite: str, *, port: int | None = None, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """Run ``farm simulate`` in a subprocess on a free port; yield its base URL.

    Raises:
        ConfigError: if it does not answer within a minute (its output is in the message).
    """
    port = port or free_port()
    cmd = [sys.executable, "-m", "farm", "simulate", "--suite", suite, "--port", str(port), *extra]
    proc = subprocess.Popen(
        cmd, env=child_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = (proc.stderr.read() if proc.stderr else "").strip().splitlines()
                last = err[-1] if err else f"exit status {proc.returncode}"
                raise ConfigError(f"the simulator exited ({' '.join(cmd[2:])}): {last}")
            try:
                if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ConfigError(f"the simulator did not answer at {url} within 60s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@click.command()
@click.option("--concurrency", type=int, default=64, show_default=True, help="Requests in flight.")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False), help="A bfcl-eval wheel.")
def demo(concurrency: int, wheel: str | None) -> None:
    """Run BFCL's single-turn categories against the built-in simulator, end to end."""
    from pathlib import Path

    from farm.cli.run import embedded_model, execute_with_progress, plan_embedded
    from farm.db.engine import safe_url
    from farm.db.migrate import open_database
    from farm.suites.bfcl import DEFAULT_VERSION, pull_bfcl

    settings = cli_settings()
    err = console(stderr=True)
    engine = open_database(settings)
    err.print(f"loading BFCL {DEFAULT_VERSION} (downloaded once with pip, then cached)...")
    suite = pull_bfcl(settings, engine, wheel=Path(wheel) if wheel else None)
    spec_name = f"bfcl@{suite.version}"
    with simulator_process(settings, spec_name) as url:
        err.print(f"simulator answering at {url}")
        run_id = plan_embedded(
            settings,
            engine,
            model="simulator",
            mode="fc",
            endpoint=url,
            concurrency=concurrency,
            suite=spec_name,
            categories=["single_turn"],
            shard_size=None,
            label="demo",
        )
        spec = embedded_model(
            settings, "simulator", mode="fc", endpoint=url, concurrency=concurrency
        )
        execute_with_progress(settings, engine, spec, run_id)
    from farm.db.engine import session_scope
    from farm.runs import run_status

    with session_scope(engine) as session:
        n = run_status(session, run_id).n_cases
    click.echo(
        NEXT_STEPS.format(
            url=url,
            version=suite.version,
            db=safe_url(settings.resolved_database_url),
            n=n,
            run=str(run_id)[:8],
        )
    )
