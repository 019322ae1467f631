"""``farm run``: a run on the embedded executor, in this process, with a progress bar."""

from __future__ import annotations

import uuid
from typing import Any

import click

from farm.cli.context import cli_settings, console, emit_json
from farm.cli.options import (
    retrieval_options,
    retrieval_run_options,
    run_options,
    split_categories,
)
from farm.config import Settings


@click.command()
@run_options
@retrieval_options
@click.option("--endpoint", help="Base URL(s) of the model, comma-separated.")
@click.option("--api-key-env", metavar="NAME", help="Variable holding the endpoint's API key.")
@click.option("--concurrency", type=int, help="Requests in flight (default: the model's).")
@click.option("--json", "as_json", is_flag=True, help="End with a JSON line holding run_id.")
def run(
    model: str,
    mode: str | None,
    suite: str,
    categories: str,
    shard_size: int | None,
    label: str | None,
    tool_retrieval: int | None,
    embedding_model: str | None,
    endpoint: str | None,
    api_key_env: str | None,
    concurrency: int | None,
    as_json: bool,
) -> None:
    """Run MODEL on the suite here: no broker, results in the configured database.

    With nothing configured that is the embedded SQLite file under FARM_HOME. Ends with
    the run's leaderboard row.
    """
    from farm.db.migrate import open_database

    settings = cli_settings()
    spec = embedded_model(
        settings,
        model,
        mode=mode,
        endpoint=endpoint,
        concurrency=concurrency,
        api_key_env=api_key_env,
    )
    if tool_retrieval is not None:
        from farm.endpoints.env import embedding_endpoint
        from farm.errors import ConfigError

        if embedding_endpoint() is None:  # fail now, not case by case
            raise ConfigError(
                "--tool-retrieval needs an embedding endpoint: set EMBEDDING_BASE_URL "
                "(or OPENAI_BASE_URL)"
            )
    engine = open_database(settings)
    run_id = plan_embedded(
        settings,
        engine,
        model=model,
        mode=mode,
        endpoint=endpoint,
        concurrency=concurrency,
        suite=suite,
        categories=split_categories(categories),
        shard_size=shard_size,
        label=label,
        api_key_env=api_key_env,
        options=retrieval_run_options(tool_retrieval, embedding_model),
    )
    final = execute_with_progress(settings, engine, spec, run_id)
    if as_json:
        emit_json({"run_id": str(run_id), "status": final})


def embedded_model(
    settings: Settings,
    model: str,
    *,
    mode: str | None,
    endpoint: str | None,
    concurrency: int | None,
    api_key_env: str | None = None,
) -> Any:
    """The model with its endpoints, and the concurrency override applied."""
    from farm.errors import ConfigError
    from farm.models.registry import resolve_model

    spec = resolve_model(settings, model, endpoint=endpoint, mode=mode, api_key_env=api_key_env)
    if concurrency is not None:
        if concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        spec = spec.model_copy(update={"max_concurrency": concurrency})
    return spec


def plan_embedded(
    settings: Settings,
    engine: Any,
    *,
    model: str,
    mode: str | None,
    endpoint: str | None,
    concurrency: int | None,
    suite: str,
    categories: list[str],
    shard_size: int | None,
    label: str | None,
    api_key_env: str | None = None,
    options: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Plan an embedded run; returns its id."""
    from farm.db.engine import session_scope
    from farm.producer import RunRequest, plan_run

    spec = embedded_model(
        settings,
        model,
        mode=mode,
        endpoint=endpoint,
        concurrency=concurrency,
        api_key_env=api_key_env,
    )
    request = RunRequest(
        model=spec,
        suite=suite,
        categories=categories,
        shard_size=shard_size or settings.shard_size,
        source="run",
        label=label,
        options={"concurrency": spec.max_concurrency, **(options or {})},
    )
    with session_scope(engine) as session:
        planned = plan_run(session, request)
    retrieval = (options or {}).get("tool_retrieval")
    console(stderr=True).print(
        f"run {planned.run_id}: {planned.n_cases} cases of {spec.key} ({spec.mode}), "
        f"{len(planned.shards)} shards, {spec.max_concurrency} requests in flight"
        + (f", tool retrieval top {retrieval}" if retrieval else "")
    )
    return planned.run_id


def execute_with_progress(settings: Settings, engine: Any, spec: Any, run_id: uuid.UUID) -> str:
    """Execute the run's pending shards here with a live bar; print the leaderboard row."""
    from farm.cli.runview import print_leaderboard_row, run_progress
    from farm.db.engine import session_scope
    from farm.local import run_locally
    from farm.runs import run_status

    with session_scope(engine) as session:
        before = run_status(session, run_id)
    err = console(stderr=True)
    with run_progress(before, err) as progress:
        run_locally(settings, engine, spec, run_id, on_case=progress.advance)
    with session_scope(engine) as session:
        after = run_status(session, run_id)
    print_leaderboard_row(engine, run_id, console())
    err.print(
        f"run {run_id} {after.status}: {after.done}/{after.n_cases} cases, "
        f"{after.errors} errors, {after.correct} correct"
    )
    return after.status
