"""``farm doctor``: what the farm can reach, one line per check."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings
from farm.doctor import run_checks


@click.command()
def doctor() -> None:
    """Check the database, the broker and every configured endpoint."""
    results = run_checks(cli_settings())
    for result in results:
        mark = "ok    " if result.ok else "failed"
        click.echo(f"{mark}  {result.name}: {result.detail}")
    if not all(result.ok for result in results):
        raise SystemExit(1)
