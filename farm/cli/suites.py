"""``farm suites``: pull BFCL from its wheel, add user suites, list and show them."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from farm.cli.context import cli_settings, console, emit_json
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Suite
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
    _warn_untrusted(data.extra.get("multi_turn_sources") or {}, suite.version)


def _warn_untrusted(sources: dict[str, str], version: str) -> None:
    """Say on stderr when this machine would refuse the suite's environment sources."""
    from farm.suites.trust import untrusted_sources

    refused = untrusted_sources(sources, cli_settings())
    if refused:
        click.echo(
            f"note: {len(refused)} multi-turn environment sources of bfcl-eval {version} are "
            "not in the farm's table (e.g. " + refused[0] + "); multi-turn cases will be "
            "refused until every machine lists them in FARM_TRUSTED_ENV_SOURCES: "
            "see 'farm suites env-hashes'",
            err=True,
        )


@suites.command("env-hashes")
@click.option(
    "--wheel",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The bfcl-eval wheel (or a wheel-shaped zip of your own suite) you have checked.",
)
def env_hashes_cmd(wheel: Path) -> None:
    """Print sha256sum lines of WHEEL's multi-turn environment sources.

    Append them to the file FARM_TRUSTED_ENV_SOURCES names on every machine that runs cases
    to let workers execute those sources (docs/multiturn.md). Releases in the farm's own
    table need nothing.
    """
    from farm.multiturn.envs import EnvironmentSources
    from farm.suites.trust import KNOWN_WHEELS, digest_lines
    from farm.suites.wheel import sha256_file

    digest = sha256_file(wheel)
    known = [v for v, pinned in KNOWN_WHEELS.items() if pinned == digest]
    sources = EnvironmentSources.from_wheel(wheel, trusted=frozenset())
    click.echo(f"# {wheel.name} sha256 {digest}" + (f" (bfcl-eval {known[0]})" if known else ""))
    for line in digest_lines(sources.sources):
        click.echo(line)


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
        parent = session.get(Suite, suite.parent_id) if suite.parent_id is not None else None
    derived_from = f"{parent.name}@{parent.version}" if parent is not None else None
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
                "parent": derived_from,
                "errata_sha256": suite.errata_sha256,
            }
        )
        return
    title = f"{suite.name}@{suite.version}"
    if derived_from is not None:
        title += f" (from {derived_from}, errata sha256 {str(suite.errata_sha256)[:12]})"
    table = Table("category", "cases", title=title)
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


@suites.command("diff")
@click.argument("old", metavar="NAME@A")
@click.argument("new", metavar="NAME@B")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--limit", default=20, show_default=True, help="Case ids listed per kind of change (0: all)."
)
def diff_cmd(old: str, new: str, as_json: bool, limit: int) -> None:
    """Show the cases added, removed and changed (by content hash) from NAME@A to NAME@B."""
    from farm.suites.diff import diff_suites

    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        result = diff_suites(session, resolve_suite(session, old), resolve_suite(session, new))
    if as_json:
        emit_json(
            {
                "old": result.old,
                "new": result.new,
                "added": result.added,
                "removed": result.removed,
                "changed": [
                    {"case_id": c.case_id, "category": c.category, "fields": list(c.fields)}
                    for c in result.changed
                ],
                "unchanged": result.unchanged,
                "categories": result.categories,
                "fields": result.field_counts(),
                "sources": result.sources,
            }
        )
        return
    con = console()
    con.print(
        f"{result.old} -> {result.new}: {len(result.added)} added, {len(result.removed)} "
        f"removed, {len(result.changed)} changed, {result.unchanged} unchanged",
        highlight=False,
    )
    table = Table("category", "added", "removed", "changed", "unchanged")
    for category, counts in result.categories.items():
        if counts["added"] or counts["removed"] or counts["changed"]:
            table.add_row(
                category, *(str(counts[k]) for k in ("added", "removed", "changed", "unchanged"))
            )
    if table.row_count:
        con.print(table)
    if result.changed:
        fields = ", ".join(f"{name} {n}" for name, n in result.field_counts().items())
        con.print(f"changed fields: {fields}", highlight=False)
    if result.sources:
        con.print(f"environment sources: {' '.join(result.sources)}", highlight=False)

    def listing(title: str, lines: list[str]) -> None:
        if not lines:
            return
        shown = lines if limit <= 0 else lines[:limit]
        con.print(f"{title}:", highlight=False)
        for line in shown:
            con.print(f"  {line}", highlight=False, markup=False)
        if len(shown) < len(lines):
            con.print(f"  ... {len(lines) - len(shown)} more (--limit 0 lists all)")

    listing("added", result.added)
    listing("removed", result.removed)
    listing("changed", [f"{c.case_id}  ({', '.join(c.fields)})" for c in result.changed])


@suites.command("patch")
@click.argument("spec", metavar="NAME@VERSION")
@click.option(
    "--errata",
    "errata",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON Lines of per-case corrections, each with a 'reason'.",
)
@click.option("--name", help="Suffix of the derived version [default: the file's stem].")
def patch_cmd(spec: str, errata: Path, name: str | None) -> None:
    """Store NAME@VERSION+ERRATA: the suite with the corrections of --errata applied."""
    from farm.suites.errata import patch_suite

    _name, version = parse_spec(spec)
    if version is None:
        raise SuiteError(f"name the version to patch: {spec}@VERSION")
    engine = open_database(cli_settings())
    suite, created, n = patch_suite(engine, spec, errata, name=name)
    with session_scope(engine) as session:
        total = sum(category_counts(session, suite.id).values())
    if created:
        click.echo(
            f"stored {suite.name}@{suite.version}: {n} correction(s) applied, {total} cases "
            f"(errata sha256 {str(suite.errata_sha256)[:12]})"
        )
    else:
        click.echo(f"{suite.name}@{suite.version} already holds these errata ({total} cases)")
