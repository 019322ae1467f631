"""``farm simulate``: serve a suite's ground truth over the OpenAI protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from farm.cli.context import cli_settings
from farm.config import Settings
from farm.errors import ConfigError
from farm.suites.case import Case


def load_suite_cases(
    settings: Settings, spec: str, categories: str | None
) -> tuple[list[Case], dict[str, Any]]:
    """The cases (and suite extra) of a suite in the database, optionally some categories."""
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.suites.categories import expand
    from farm.suites.store import load_cases, resolve_suite

    chosen = expand(c.strip() for c in categories.split(",")) if categories else None
    engine = open_database(settings)
    try:
        with session_scope(engine) as session:
            suite = resolve_suite(session, spec)
            cases = load_cases(session, suite.id, categories=chosen)
            return cases, dict(suite.extra or {})
    finally:
        engine.dispose()


@click.command()
@click.option("--suite", default="bfcl", show_default=True, help="Suite in the database.")
@click.option("--categories", "-c", help="Only these categories or groups (comma-separated).")
@click.option(
    "--cases-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Serve the cases of a JSON file instead of a suite.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", "-p", default=8765, show_default=True, type=int)
@click.option("--model-name", default="farm-simulator", show_default=True)
@click.option(
    "--capacity",
    default=64,
    show_default=True,
    type=int,
    help="Requests served at once; more wait in a queue.",
)
@click.option("--latency", default=0.0, show_default=True, type=float, help="Seconds per request.")
@click.option(
    "--per-token",
    default=0.0,
    show_default=True,
    type=float,
    help="Further seconds per generated token.",
)
@click.option(
    "--wrong-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Fraction of cases answered wrongly (stable per seed and case).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Fraction of requests meeting a random fault.",
)
@click.option(
    "--faults", default="5xx", show_default=True, help="Fault kinds drawn from: 5xx,drop,hang."
)
@click.option(
    "--fail-first",
    default=0,
    show_default=True,
    type=int,
    help="Each distinct request fails this many times first.",
)
@click.option(
    "--hang", "hang_s", default=3600.0, show_default=True, type=float, help="Seconds a hang lasts."
)
@click.option(
    "--call-style",
    default="tool_calls",
    show_default=True,
    help="How FC calls come back: tool_calls, a deviation (arguments_object, bad_json, "
    "truncated, no_finish_reason) or a family's text syntax (hermes, glm4, ...).",
)
def simulate(
    suite: str,
    categories: str | None,
    cases_file: Path | None,
    port: int,
    faults: str,
    **options: Any,
) -> None:
    """Serve a suite's ground truth as an OpenAI-compatible model (FC and prompt mode).

    It answers /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /health
    and /metrics, until interrupted. It is a simulator and says so in /v1/models.
    """
    from farm.simulator.config import checked_config
    from farm.simulator.server import cases_from_json, serve

    kinds = tuple(k.strip() for k in faults.split(",") if k.strip())
    config = checked_config(
        "simulate",
        port=port,
        host=options["host"],
        model_name=options["model_name"],
        capacity=options["capacity"],
        latency_s=options["latency"],
        per_token_s=options["per_token"],
        wrong_rate=options["wrong_rate"],
        seed=options["seed"],
        fault_rate=options["fault_rate"],
        fault_kinds=kinds,
        fail_first=options["fail_first"],
        fail_kind=kinds[0] if kinds else "5xx",
        hang_s=options["hang_s"],
        call_style=options["call_style"],
    )
    if cases_file is not None:
        try:
            text = cases_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {cases_file}: {exc.strerror}") from exc
        cases, extra = cases_from_json(text)
    else:
        cases, extra = load_suite_cases(cli_settings(), suite, categories)
    if not cases:
        raise ConfigError("no cases to serve: check --suite and --categories")

    def ready(bound: int) -> None:
        click.echo(
            f"farm simulator: {len(cases)} cases at http://{config.host}:{bound}/v1 "
            f"(capacity {config.capacity}, latency {config.latency_s:g}s); Ctrl-C stops",
            err=True,
        )

    serve(cases, config, suite_extra=extra, ready=ready)
