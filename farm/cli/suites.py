"""``farm suites``: pull BFCL from its wheel, add user suites, list and show them."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from farm.cli.context import cli_settings, console, emit_json
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.errors import SuiteError
from farm.suites.bfcl import DEFAULT_VERSION, read_bfcl_source
from farm.suites.local import add_suite
from farm.suites.store import (
    category_counts,
    list_suites,
    parse_spec,
    remove_suite,
    resolve_suite,
    store_suite,
)

SOURCES = ("bfcl",)


@click.group()
def suites() -> None:
    """Benchmark suites: BFCL v4 from the bfcl-eval wheel, and your own."""


@suites.command("pull")
@click.argument("name")
@click.option("--version", help=f"bfcl-eval version [default {DEFAULT_VERSION}].")
@click.option(
    "--wheel",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read this wheel file instead of downloading (no network).",
)
def pull_cmd(name: str, version: str | None, wheel: Path | None) -> None:
    """Load suite NAME (only 'bfcl') into the database; pulling twice changes nothing."""
    if name not in SOURCES:
        raise SuiteError(f"unknown suite source {name!r}; pullable: {', '.join(SOURCES)}")
    settings = cli_settings()
    engine = open_database(settings)
    started = time.perf_counter()
    data = read_bfcl_source(settings, version=version, wheel=wheel)
    suite, created = store_suite(engine, data)
    took = time.perf_counter() - started
    if created:
        click.echo(
            f"loaded {suite.name}@{suite.version}: {len(data.cases)} cases "
            f"from {suite.source} in {took:.1f}s"
        )
    else:
        click.echo(f"{suite.name}@{suite.version} is already loaded (sha256 {suite.sha256[:12]})")


@suites.command("add")
@click.argument("name")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--version", help="Version to store [default: next integer, 1 for a new suite].")
def add_cmd(name: str, directory: Path, version: str | None) -> None:
    """Store DIRECTORY (BFCL-format JSON Lines + possible_answer/) as suite NAME."""
    engine = open_database(cli_settings())
    suite, created = add_suite(engine, name, directory, version=version)
    with session_scope(engine) as session:
        total = sum(category_counts(session, suite.id).values())
    state = "added" if created else "already loaded as"
    click.echo(f"{state} {suite.name}@{suite.version}: {total} cases")


@suites.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON line: a list of suites.")
def list_cmd(as_json: bool) -> None:
    """List loaded suites and versions with their case counts."""
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        rows = list_suites(session)
    if as_json:
        emit_json(
            [
                {
                    "name": r.name,
                    "version": r.version,
                    "cases": r.n_cases,
                    "source": r.source,
                    "sha256": r.sha256,
                    "loaded_at": r.loaded_at.isoformat(),
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo("no suites loaded (run 'farm suites pull bfcl')")
        return
    table = Table("suite", "version", "cases", "loaded", "source")
    for r in rows:
        loaded = r.loaded_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(r.name, r.version, str(r.n_cases), loaded, r.source)
    console().print(table)


@suites.command("show")
@click.argument("name")
@click.option("--version", help="Suite version [default: the newest loaded].")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line of the counts.")
def show_cmd(name: str, version: str | None, as_json: bool) -> None:
    """Show the categories of suite NAME (or NAME@VERSION) with their case counts."""
    spec = f"{name}@{version}" if version else name
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, spec)
        counts = category_counts(session, suite.id)
    if as_json:
        emit_json(
            {
                "name": suite.name,
                "version": suite.version,
                "sha256": suite.sha256,
                "source": suite.source,
                "loaded_at": suite.loaded_at.isoformat(),
                "total": sum(counts.values()),
                "categories": counts,
            }
        )
        return
    table = Table("category", "cases", title=f"{suite.name}@{suite.version}")
    for category, count in counts.items():
        table.add_row(category, str(count))
    table.add_section()
    table.add_row("total", str(sum(counts.values())))
    console().print(table)


@suites.command("remove")
@click.argument("spec", metavar="NAME@VERSION")
def remove_cmd(spec: str) -> None:
    """Delete one suite version and its cases (refused while runs refer to it)."""
    _name, version = parse_spec(spec)
    if version is None:
        raise SuiteError(f"name the version to remove: {spec}@VERSION")
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = remove_suite(session, spec)
    click.echo(f"removed {suite.name}@{suite.version}")
