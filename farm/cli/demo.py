"""``farm demo``: the README's first command.

Starts the simulator on a free port (a subprocess), pulls the BFCL suite if needed, runs
every category the simulator answers (single-turn, multi-turn and agentic: its own small
web stands in for the internet, its embeddings for the vector memory's encoder) on the
embedded executor, prints the leaderboard row with a full BFCL v4 Overall and says what to
do next.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import click

from farm.cli.context import cli_settings, console
from farm.errors import ConfigError

NEXT_STEPS = """\
What happened:
  * the simulator (an OpenAI-compatible server answering from BFCL's ground truth, with
    deliberate mistakes) ran at {url};
  * BFCL {version} was loaded into {db};
  * its {n} cases (single-turn, multi-turn, agentic) ran on the embedded executor (no
    broker; the same shard code the distributed workers run) and were scored exactly as BFCL
    scores them; web search used the simulator's own small web through the web store.

Next:
  * a real endpoint:
        farm run --model my-model --mode fc --endpoint http://host:8000/v1 -c single_turn
  * the distributed farm (PostgreSQL + Redis; see docs/runs.md):
        export FARM_DATABASE_URL=postgresql+psycopg://user@host/farm
        export FARM_BROKER_URL=redis://host:6379/0
        farm db upgrade
        farm worker --model my-model --endpoint http://gpu-host:8000/v1   # one per endpoint
        farm submit --model my-model --categories all --wait
  * host the model on GPUs instead of attaching:
        farm worker --model <preset> --gpus 0,1
  * the results:  farm runs;  farm status {run};  farm leaderboard
"""


@click.command()
@click.option("--slots", type=int, default=64, show_default=True, help="Simulator batch slots.")
@click.option(
    "--concurrency", type=int, help="Requests in flight [default: 2 x slots, a full server queue]."
)
@click.option(
    "--latency", type=float, default=0.05, show_default=True, help="Simulated seconds per request."
)
@click.option(
    "--wrong-rate",
    type=float,
    default=0.15,
    show_default=True,
    help="Fraction of cases the simulator answers wrongly.",
)
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False), help="A bfcl-eval wheel.")
def demo(
    slots: int, concurrency: int | None, latency: float, wrong_rate: float, wheel: str | None
) -> None:
    """Run every BFCL category the simulator answers, end to end (a full BFCL v4 Overall)."""
    from pathlib import Path

    from farm.cli.run import embedded_model, execute_with_progress, plan_embedded
    from farm.db.engine import safe_url, session_scope
    from farm.db.migrate import open_database
    from farm.runs import run_status
    from farm.simulator.config import checked_config
    from farm.simulator.server import running_simulator
    from farm.suites.bfcl import DEFAULT_VERSION, pull_bfcl
    from farm.suites.store import load_cases

    config = checked_config(
        "demo",
        {"capacity": "--slots"},
        capacity=slots,
        latency_s=latency,
        wrong_rate=wrong_rate,
        subprocess=True,
    )
    concurrency = concurrency or 2 * slots
    if concurrency < 1:
        raise ConfigError("demo: --concurrency must be at least 1")
    settings = cli_settings()
    err = console(stderr=True)
    engine = open_database(settings)
    err.print(f"loading BFCL {DEFAULT_VERSION} (downloaded once with pip, then cached)...")
    suite = pull_bfcl(settings, engine, wheel=Path(wheel) if wheel else None)
    spec_name = f"bfcl@{suite.version}"
    categories = ["single_turn", "multi_turn", "agentic"]
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=categories)
        suite_extra = dict(suite.extra or {})
    with (
        running_simulator(cases, config, suite_extra=suite_extra) as simulator,
        _demo_web(simulator.base_url),
    ):
        url = simulator.base_url
        err.print(f"simulator answering at {url} ({slots} slots, {latency * 1000:.0f} ms)")
        spec = embedded_model(
            settings, "simulator", mode="fc", endpoint=url, concurrency=concurrency
        )
        planned = plan_embedded(
            settings,
            engine,
            spec=spec,
            suite=spec_name,
            categories=categories,
            shard_size=None,
            label="demo",
        )
        run_id = planned.run_id
        execute_with_progress(settings, engine, spec, run_id, shards=planned.shards)
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


@contextlib.contextmanager
def _demo_web(base_url: str) -> Iterator[None]:
    """The simulator as search engine, web and embedding endpoint while the demo runs."""
    root = base_url.removesuffix("/v1")
    wanted = {
        "FARM_WEB_PROVIDER": "farm-simulator",
        "FARM_WEB_SIMULATOR_URL": root,
        "FARM_WEB_ALLOW_NETWORKS": "127.0.0.1/32",
        "FARM_WEB_MODE": "record",
        "EMBEDDING_BASE_URL": base_url,
        "EMBEDDING_API_KEY": "",
    }
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
