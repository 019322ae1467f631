"""``farm status`` and ``farm runs``."""

from __future__ import annotations

import uuid

import click

from farm.cli.context import cli_settings, console, emit_json


@click.command()
@click.argument("run", required=False)
@click.option("--wait", is_flag=True, help="Follow the run with a progress bar until it ends.")
@click.option("--timeout", type=float, help="With --wait: give up after this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON line.")
def status(run: str | None, wait: bool, timeout: float | None, as_json: bool) -> None:
    """Show where RUN stands (default: the newest run)."""
    from farm.cli.runview import (
        print_leaderboard_row,
        repeat_lines,
        run_progress,
        status_dict,
        status_lines,
    )
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.ledger import STALL_LEASES, mark_stalled
    from farm.progress import wait_for_run
    from farm.runs import latest_run_id, run_status

    settings = cli_settings()
    engine = open_database(settings)
    with session_scope(engine) as session:  # no sweeper runs once every worker is gone
        mark_stalled(session, stall_seconds=STALL_LEASES * settings.lease_seconds)
    with session_scope(engine) as session:
        current = run_status(session, run or latest_run_id(session))
    if wait and not current.finished:
        err = console(stderr=True)
        with run_progress(current, err) as progress:
            wait_for_run(engine, current.run_id, progress=progress, timeout=timeout)
        with session_scope(engine) as session:
            current = run_status(session, current.run_id)
    if as_json:
        emit_json(status_dict(current))
        return
    for line in [*status_lines(current), *repeat_lines(engine, current)]:
        click.echo(line)
    if settings.broker_url and current.source == "submit" and not current.finished:
        from farm.broker import queue_depth, queue_name

        depth = queue_depth(settings, current.model_key)
        if depth is not None:
            hint = "" if current.shards.get("running") else "; no shard running: is a worker up?"
            click.echo(f"  {depth} message(s) waiting on {queue_name(current.model_key)}{hint}")
    if current.status == "stalled":
        click.echo(
            "  stalled: no worker has held a lease or written a result for "
            f"{STALL_LEASES * settings.lease_seconds}s; start a worker (its shards are "
            f"re-delivered) or 'farm resume {str(current.run_id)[:8]}'"
        )
    if current.status in ("done", "incomplete"):
        print_leaderboard_row(engine, current.run_id, console())


@click.command()
@click.option("--model", "-m", help="Only runs of this model.")
@click.option(
    "--status",
    "status_filter",
    type=click.Choice(["pending", "running", "stalled", "done", "incomplete", "cancelled"]),
    help="Only runs in this status.",
)
@click.option("--limit", type=int, default=20, show_default=True, help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line.")
def runs(model: str | None, status_filter: str | None, limit: int, as_json: bool) -> None:
    """List runs, newest first."""
    from farm.cli.runview import group_flakiness, runs_table, status_dict
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.runs import list_runs

    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        found = list_runs(session, model=model, status=status_filter, limit=limit)
    flaky = group_flakiness(engine, found)
    if as_json:
        rows = [status_dict(r) for r in found]
        for row, r in zip(rows, found, strict=True):
            group = (r.options.get("repeat") or {}).get("group")
            if group is not None:
                row["flaky"] = flaky.get(uuid.UUID(str(group)), [])
        emit_json(rows)
        return
    if not found:
        click.echo("no runs")
        return
    console().print(runs_table(found, {g: len(c) for g, c in flaky.items()}))
