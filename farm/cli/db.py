"""``farm db``: schema migrations."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings
from farm.db.engine import make_engine, safe_url
from farm.db.migrate import current_revision, downgrade, head_revision, upgrade


@click.group()
def db() -> None:
    """Database schema: upgrade, downgrade, current revision."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade_cmd(revision: str) -> None:
    """Apply migrations (the embedded SQLite database also upgrades itself on first use)."""
    settings = cli_settings()
    engine = make_engine(settings)
    upgrade(engine, revision)
    click.echo(f"database {safe_url(str(engine.url))} is at {current_revision(engine)}")


@db.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    engine = make_engine(cli_settings())
    downgrade(engine, revision)
    click.echo(f"database {safe_url(str(engine.url))} is at {current_revision(engine) or 'base'}")


@db.command("current")
def current_cmd() -> None:
    """Print the database's revision and the code's head revision."""
    engine = make_engine(cli_settings())
    click.echo(f"current: {current_revision(engine) or 'base'}  head: {head_revision(engine)}")
