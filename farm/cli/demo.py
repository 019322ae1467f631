"""``farm demo``: the README's first command.

Starts the simulator on a free port (a subprocess), pulls the BFCL suite if needed, runs
every category the simulator answers (single-turn, multi-turn and agentic: its own small
web stands in for the internet, its embeddings for the vector memory's encoder) on the
embedded executor, prints the leaderboard row with a full BFCL v4 Overall and says what to
do next.

By default it runs a deterministic sample of :data:`DEMO_SAMPLE` cases stratified by
category (``farm run --sample N --seed 1``: every category keeps a share proportional to
its size, at least one case each for BFCL's suite), so that it finishes in seconds; a
sampled memory question still runs its scenario's whole prerequisite chain first.
``--full`` runs all 5,106 cases.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator, Mapping

import click

from farm.cli.context import cli_settings, console
from farm.errors import ConfigError

#: Cases the demo runs by default (a stratified sample; ``--full`` runs every case).
DEMO_SAMPLE = 500
#: The sample's seed (``farm run --sample N --seed 1`` draws the same cases). The simulator's
#: wrong-answer draw hashes apart from the sample's ranking, so any seed would do; 1 keeps the
#: documented numbers.
DEMO_SEED = 1

NEXT_STEPS = """\
What happened:
  * the simulator (an OpenAI-compatible server answering from BFCL's ground truth, with
    deliberate mistakes) ran at {url};
  * BFCL {version} was loaded into {db};
  * {ran} (single-turn, multi-turn, agentic) ran on the embedded executor (no
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
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=DEMO_SAMPLE,
    show_default=True,
    help="Cases to run, stratified by category (every category keeps its share).",
)
@click.option("--full", is_flag=True, help="Run every case (5,106 for BFCL), not a sample.")
def demo(
    slots: int,
    concurrency: int | None,
    latency: float,
    wrong_rate: float,
    wheel: str | None,
    sample: int,
    full: bool,
) -> None:
    """Run every BFCL category the simulator answers, end to end (a full BFCL v4 Overall).

    By default a deterministic stratified sample of the cases runs (a few seconds);
    ``--full`` runs them all.
    """
    from pathlib import Path

    from farm.cli.run import embedded_model, execute_with_progress, plan_embedded
    from farm.db.engine import safe_url, session_scope
    from farm.db.migrate import open_database
    from farm.runs import run_status
    from farm.simulator.config import checked_config
    from farm.simulator.server import running_simulator
    from farm.suites.bfcl import DEFAULT_VERSION, pull_bfcl
    from farm.suites.store import load_cases
    from farm.suites.subsets import CaseFilter, select_cases

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
        # The simulator knows every case (its answers do not depend on the sample: BFCL's
        # multi-turn siblings share questions); the run takes the sample.
        cases = load_cases(session, suite.id, categories=categories)
        totals = Counter(case.category for case in cases)
        selection = None
        ran = totals
        if not full and sample < len(cases):
            selection = CaseFilter(sample=sample, seed=DEMO_SEED)
            chosen = set(
                select_cases(
                    session, suite, categories=categories, sample=sample, seed=DEMO_SEED
                ).case_ids
            )
            ran = Counter(case.category for case in cases if case.case_id in chosen)
        suite_extra = dict(suite.extra or {})
    err.print(sample_line(ran, totals))
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
            selection=selection,
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
            ran=_ran_text(n, sum(totals.values())),
            run=str(run_id)[:8],
        )
    )


def sample_line(ran: Mapping[str, int], totals: Mapping[str, int]) -> str:
    """What the demo runs: ``N of M cases`` overall and per category, in ``totals``' order."""
    n, m = sum(ran.values()), sum(totals.values())
    if n == m:
        return f"running all {m:,} cases of {len(totals)} categories"
    parts = ", ".join(f"{c} {ran.get(c, 0)}/{t}" for c, t in totals.items())
    return (
        f"running a stratified sample of {n:,} of {m:,} cases, every category "
        f"(cases run / in the category: {parts}); --full runs them all"
    )


def _ran_text(n: int, m: int) -> str:
    if n == m:
        return f"its {n:,} cases"
    return f"a stratified sample of {n:,} of its {m:,} cases (every category; --full: all)"


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
