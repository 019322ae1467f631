"""``farm submit``: plan a run, enqueue its shards on the model's queue."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings, console, emit_json
from farm.cli.options import (
    case_filter,
    producer_model,
    retrieval_options,
    retrieval_run_options,
    run_options,
    selection_options,
    split_categories,
    strict_option,
)


@click.command()
@run_options
@selection_options
@retrieval_options
@click.option("--wait", is_flag=True, help="Show live progress and end with the run's scores.")
@click.option("--timeout", type=float, help="With --wait: give up after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="End with a JSON line holding run_id.")
@strict_option
def submit(
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
    wait: bool,
    timeout: float | None,
    as_json: bool,
    strict: bool,
) -> None:
    """Submit a run to the workers of MODEL through the broker (FARM_BROKER_URL).

    Start workers with 'farm worker --model MODEL --endpoint URL'; messages wait on the
    queue until one does.
    """
    from farm.db.migrate import open_database
    from farm.producer import RunRequest
    from farm.producer import submit as submit_run

    settings = cli_settings()
    spec = producer_model(settings, model, mode, call_format)
    if wait:
        _probe_known_endpoint(settings, model, mode, call_format, strict=strict)
    engine = open_database(settings)
    request = RunRequest(
        model=spec,
        suite=suite,
        categories=split_categories(categories),
        shard_size=shard_size or settings.shard_size,
        source="submit",
        label=label,
        options=retrieval_run_options(tool_retrieval, embedding_model, settings),
        selection=case_filter(cases, subset, sample, sample_seed),
        repeats=repeats,
        repeat_seeds=repeat_seeds,
    )
    planned = submit_run(settings, engine, request)
    err = console(stderr=True)
    group = planned.group()
    for note in planned.notes:
        err.print(note, markup=False)
    err.print(
        f"submitted run {planned.run_id}: {planned.n_cases} cases of {spec.key} "
        f"({spec.mode}) in {len(planned.shards)} shards"
        + (
            f", {len(group)} repeats: {' '.join(str(r.run_id)[:8] for r in group)}"
            if repeats > 1
            else ""
        )
    )
    final = None
    if wait:
        for member in group:
            final = _wait(engine, member.run_id, member.n_cases, timeout, show=member is group[-1])
    if as_json:
        data: dict[str, object] = {"run_id": str(planned.run_id), "status": final or "queued"}
        if repeats > 1:
            data["repeats"] = [str(r.run_id) for r in group]
        emit_json(data)
    elif not wait:
        click.echo(str(planned.run_id))
    if final is not None:
        from farm.cli.run import fail_if_incomplete

        fail_if_incomplete(engine, planned.run_id)


def _probe_known_endpoint(
    settings: object, model: str, mode: str | None, call_format: str | None, *, strict: bool
) -> None:
    """With --wait: the start-up probe of the model's endpoint, when one is known here.

    The registry or the environment may name none: workers attach elsewhere and probe
    their own endpoint when they start.
    """
    from farm.cli.run import warn_startup_probe
    from farm.config import Settings
    from farm.errors import ConfigError
    from farm.resolve import resolve_model

    assert isinstance(settings, Settings)
    try:
        spec = resolve_model(settings, model, mode=mode, call_format=call_format)
    except ConfigError:
        return  # no endpoint known here
    warn_startup_probe(spec, strict=strict)


def _wait(
    engine: object, run_id: object, total: int, timeout: float | None, *, show: bool = True
) -> str:
    import uuid

    from sqlalchemy import Engine

    from farm.cli.runview import print_deviations, print_leaderboard_row
    from farm.progress import RunProgress, wait_for_run

    assert isinstance(engine, Engine) and isinstance(run_id, uuid.UUID)
    err = console(stderr=True)
    with RunProgress(total, description=f"run {str(run_id)[:8]}", console=err) as progress:
        final = wait_for_run(engine, run_id, progress=progress, timeout=timeout)
    if show:
        print_leaderboard_row(engine, run_id, console())
    print_deviations(engine, run_id, err)
    err.print(f"run {run_id} {final}")
    return final
