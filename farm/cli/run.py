"""``farm run``: a run on the embedded executor, in this process, with a progress bar."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from farm.cli.context import cli_settings, console, emit_json
from farm.cli.options import (
    case_filter,
    retrieval_options,
    retrieval_run_options,
    run_options,
    selection_options,
    split_categories,
    strict_option,
)
from farm.config import Settings

if TYPE_CHECKING:
    from farm.models.registry import ModelSpec
    from farm.producer import PlannedRun, RunRequest
    from farm.shardspec import ShardSpec


@click.command()
@run_options
@selection_options
@retrieval_options
@click.option("--endpoint", help="Base URL(s) of the model, comma-separated.")
@click.option(
    "--api-key-env",
    metavar="NAME",
    help="Variable holding the endpoint's API key (environment or .env); without it an "
    "--endpoint gets no key.",
)
@click.option("--concurrency", type=int, help="Requests in flight (default: the model's).")
@click.option("--json", "as_json", is_flag=True, help="End with a JSON line holding run_id.")
@strict_option
def run(
    model: str,
    mode: str | None,
    call_format: str | None,
    suite: str,
    categories: str,
    shard_size: int | None,
    label: str | None,
    cases: tuple[str, ...],
    subset: str | None,
    sample: int | None,
    sample_seed: int,
    repeats: int,
    repeat_seeds: bool,
    tool_retrieval: int | None,
    embedding_model: str | None,
    endpoint: str | None,
    api_key_env: str | None,
    concurrency: int | None,
    as_json: bool,
    strict: bool,
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
        call_format=call_format,
    )
    if tool_retrieval is not None:
        from farm.endpoints.env import embedding_endpoint
        from farm.errors import ConfigError

        if embedding_endpoint(settings) is None:  # fail now, not case by case
            raise ConfigError(
                "--tool-retrieval needs an embedding endpoint: set EMBEDDING_BASE_URL "
                "(or OPENAI_BASE_URL)"
            )
    from farm.endpoints.preflight import check_model_endpoints

    engine = open_database(settings)
    request = embedded_request(
        settings,
        spec=spec,
        suite=suite,
        categories=split_categories(categories),
        shard_size=shard_size,
        label=label,
        options=retrieval_run_options(tool_retrieval, embedding_model, settings),
        selection=case_filter(cases, subset, sample, sample_seed),
        repeats=repeats,
        repeat_seeds=repeat_seeds,
    )
    check_selection(engine, request)  # an unknown suite, category or case: no request sent
    check_model_endpoints(spec, settings)  # fail fast: before anything is planned
    warn_startup_probe(spec, strict=strict)  # then: does it answer calls as calls?
    planned = plan_request(engine, request)
    group = planned.group()
    final = ""
    for member in group:
        final = execute_with_progress(
            settings, engine, spec, member.run_id, shards=member.shards, show=len(group) == 1
        )
    if len(group) > 1:
        from farm.cli.runview import print_leaderboard_row

        print_leaderboard_row(engine, planned.run_id, console())
    if as_json:
        data: dict[str, Any] = {"run_id": str(planned.run_id), "status": final}
        if len(group) > 1:
            data["repeats"] = [str(r.run_id) for r in group]
        emit_json(data)
    for member in group:
        fail_if_incomplete(engine, member.run_id)


def fail_if_incomplete(engine: Any, run_id: uuid.UUID) -> None:
    """Raise a one-line RunError when the run ended ``incomplete`` (the exit is non-zero).

    Raises:
        RunError: naming the cases without a scored result, their kinds and the remedy.
    """
    from farm.db.engine import session_scope
    from farm.errors import RunError
    from farm.runs import run_status

    with session_scope(engine) as session:
        status = run_status(session, run_id)
    if status.status == "incomplete":
        raise RunError(status.incomplete_line())


def embedded_model(
    settings: Settings,
    model: str,
    *,
    mode: str | None,
    endpoint: str | None,
    concurrency: int | None,
    api_key_env: str | None = None,
    call_format: str | None = None,
) -> ModelSpec:
    """The model, resolved once, with the concurrency override applied.

    Resolution (:func:`~farm.resolve.resolve_model`) happens here only; planning and
    execution receive this spec.
    """
    from farm.errors import ConfigError
    from farm.resolve import resolve_model

    spec = resolve_model(
        settings,
        model,
        endpoint=endpoint,
        mode=mode,
        api_key_env=api_key_env,
        call_format=call_format,
    )
    if concurrency is not None:
        if concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        spec = spec.model_copy(update={"max_concurrency": concurrency})
    return spec


def embedded_request(
    settings: Settings,
    *,
    spec: ModelSpec,
    suite: str,
    categories: list[str],
    shard_size: int | None,
    label: str | None,
    options: dict[str, Any] | None = None,
    selection: Any = None,
    repeats: int = 1,
    repeat_seeds: bool = True,
) -> RunRequest:
    """The request of an embedded run of the resolved model ``spec`` (nothing is written)."""
    from farm.producer import RunRequest

    return RunRequest(
        model=spec,
        suite=suite,
        categories=categories,
        shard_size=shard_size or settings.shard_size,
        source="run",
        label=label,
        options={"concurrency": spec.max_concurrency, **(options or {})},
        selection=selection,
        repeats=repeats,
        repeat_seeds=repeat_seeds,
    )


def check_selection(engine: Any, request: RunRequest) -> None:
    """Check the suite, categories and case selection of ``request`` without writing.

    Raises:
        SuiteError, SubmitError: as :func:`farm.producer.plan_run` would.
    """
    from farm.db.engine import session_scope
    from farm.producer import check_request

    with session_scope(engine) as session:
        check_request(session, request)


def plan_request(engine: Any, request: RunRequest) -> PlannedRun:
    """Plan ``request`` (written in one transaction) and print its one-line summary.

    With ``repeats`` > 1 the returned run is the first repeat; ``group()`` has them all.
    """
    from farm.db.engine import session_scope
    from farm.producer import plan_run

    with session_scope(engine) as session:
        planned = plan_run(session, request)
    spec = request.model
    retrieval = request.options.get("tool_retrieval")
    group = planned.group()
    for note in planned.notes:
        console(stderr=True).print(note, markup=False)
    console(stderr=True).print(
        f"run {planned.run_id}: {planned.n_cases} cases of {spec.key} ({spec.mode}), "
        f"{len(planned.shards)} shards, {spec.max_concurrency} requests in flight"
        + (f", tool retrieval top {retrieval}" if retrieval else "")
        + (
            f", {request.repeats} repeats: {' '.join(str(r.run_id)[:8] for r in group)}"
            if request.repeats > 1
            else ""
        )
    )
    return planned


def plan_embedded(settings: Settings, engine: Any, **request: Any) -> PlannedRun:
    """Plan an embedded run: :func:`embedded_request` then :func:`plan_request`."""
    return plan_request(engine, embedded_request(settings, **request))


def warn_startup_probe(spec: ModelSpec, *, strict: bool) -> None:
    """Probe the model's endpoint briefly; print each warning (``--strict``: refuse)."""
    from farm.endpoints.probe import startup_check

    for warning in startup_check(spec, strict=strict):
        console(stderr=True).print(f"warning: {warning}", markup=False)


def execute_with_progress(
    settings: Settings,
    engine: Any,
    spec: ModelSpec,
    run_id: uuid.UUID,
    *,
    shards: Sequence[ShardSpec] | None = None,
    show: bool = True,
) -> str:
    """Execute ``shards`` (default: the run's pending ones) here with a live bar.

    Prints the run's leaderboard row at the end (unless ``show`` is false; a repeat group
    shows one row for the whole group, see :mod:`farm.report.repeats`); returns the run's
    status.
    """
    from farm.cli.runview import print_deviations, print_leaderboard_row, run_progress
    from farm.db.engine import session_scope
    from farm.local import run_locally
    from farm.runs import run_status

    with session_scope(engine) as session:
        before = run_status(session, run_id)
    err = console(stderr=True)
    try:
        with run_progress(before, err) as progress:
            run_locally(settings, engine, spec, run_id, on_case=progress.advance, shards=shards)
    except KeyboardInterrupt as exc:  # the CLI prints the note as its one line
        exc.add_note(
            f"run {run_id} interrupted: the finished cases are stored; "
            f"'farm resume {run_id}' runs the rest"
        )
        raise
    with session_scope(engine) as session:
        after = run_status(session, run_id)
    if show:
        print_leaderboard_row(engine, run_id, console())
    print_deviations(engine, run_id, err)
    if after.status == "incomplete":
        return after.status
    err.print(
        f"run {run_id} {after.status}: {after.done}/{after.n_cases} cases, "
        f"{after.errors} errors, {after.correct} correct"
    )
    return after.status
