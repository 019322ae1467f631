"""``farm export``: a run's per-case results as JSON Lines or CSV on stdout."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings
from farm.db.migrate import open_database


@click.command()
@click.argument("run")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--prerequisites",
    is_flag=True,
    help="Export the run's memory prerequisite conversations (not scored) instead of its cases.",
)
def export(run: str, fmt: str, prerequisites: bool) -> None:
    """Print one record per case of RUN (id or id prefix): verdict, raw output, decoded calls."""
    from farm.evaluation.export import export_lines

    engine = open_database(cli_settings())
    for line in export_lines(engine, run, fmt, prerequisites=prerequisites):
        click.echo(line)
