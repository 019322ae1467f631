"""``farm cancel``, ``farm resume`` and ``farm sweep``."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings, emit_json


@click.command()
@click.argument("run")
def cancel(run: str) -> None:
    """Cancel RUN: no new shard starts, running shards stop at their next check.

    Results already written are kept; 'farm resume RUN' continues.
    """
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.runs import cancel_run

    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        status = cancel_run(session, run)
    click.echo(f"run {status.run_id} cancelled ({status.done}/{status.n_cases} cases kept)")


@click.command()
@click.argument("run")
@click.option("--endpoint", help="Embedded runs: endpoint URL(s) to continue with.")
@click.option("--concurrency", type=int, help="Embedded runs: requests in flight.")
def resume(run: str, endpoint: str | None, concurrency: int | None) -> None:
    """Re-enqueue every shard of RUN that has a case without a scored result.

    Cases without a verdict (failed inferences, abandoned shards, scorer errors) run again,
    as do missing ones; scored cases are kept. With a broker (FARM_BROKER_URL) the shards
    go back to the model's queue; without one the run continues here, on the embedded
    executor.
    """
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.producer import enqueue
    from farm.runs import plan_resume, run_status

    settings = cli_settings()
    engine = open_database(settings)
    spec = None
    if not settings.broker_url:  # embedded: check the endpoint before reopening the run
        from farm.endpoints.preflight import check_model_endpoints
        from farm.resolve import resolve_model

        with session_scope(engine) as session:
            before = run_status(session, run)
        if before.status != "done" and before.source != "evaluate":
            spec = resolve_model(settings, before.model_key, endpoint=endpoint, mode=before.mode)
            if concurrency:
                spec = spec.model_copy(update={"max_concurrency": concurrency})
            check_model_endpoints(spec, settings)
    with session_scope(engine) as session:
        specs = plan_resume(session, run)
        status = run_status(session, run)
    if settings.broker_url:
        if not specs:
            click.echo("nothing to re-enqueue: every case has a result or is in a live shard")
            return
        enqueue(settings, specs)
        click.echo(f"run {status.run_id}: {len(specs)} shard(s) re-enqueued")
        return
    if status.status == "done" or spec is None:
        click.echo(f"run {status.run_id} is done")
        return
    from farm.cli.run import execute_with_progress, fail_if_incomplete

    execute_with_progress(settings, engine, spec, status.run_id)
    fail_if_incomplete(engine, status.run_id)


@click.command()
@click.option(
    "--stall-after",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Mark a started run stalled after this long with no live lease and no new result "
    "[default: 3 x FARM_LEASE_SECONDS].",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
def sweep(stall_after: float | None, as_json: bool) -> None:
    """Re-enqueue expired shards, finalise complete runs, mark vanished workers' runs stalled."""
    from farm.db.migrate import open_database
    from farm.runs import sweep as sweep_runs

    settings = cli_settings()
    report = sweep_runs(settings, open_database(settings), stall_seconds=stall_after)
    if as_json:
        emit_json(
            {"requeued": report.requeued, "finalised": report.finalised, "stalled": report.stalled}
        )
    else:
        click.echo(
            f"{report.requeued} shard(s) re-enqueued, {report.finalised} run(s) finalised, "
            f"{report.stalled} run(s) marked stalled"
        )
