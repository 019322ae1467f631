"""``farm subsets``: named selections of cases of one suite version."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from farm.cli.context import cli_settings, console, emit_json
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.errors import ConfigError
from farm.suites.selection import check_ids, read_id_file
from farm.suites.store import resolve_suite
from farm.suites.subsets import (
    add_subset,
    get_subset,
    list_subsets,
    remove_subset,
    select_cases,
    suite_ids,
)

SUITE_HELP = "Suite NAME or NAME@VERSION [default: bfcl, its newest version]."


@click.group()
def subsets() -> None:
    """Named subsets of a suite version, for --subset on runs and reports."""


@subsets.command("add")
@click.argument("name")
@click.option("--suite", "suite_spec", default="bfcl", show_default=True, help=SUITE_HELP)
@click.option(
    "--cases",
    "cases",
    multiple=True,
    help="Ids, ranges (simple_python_0-49) or globs, comma-separated.",
)
@click.option(
    "--file",
    "id_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A text file of case ids, one a line ('#' starts a comment).",
)
@click.option("--sample", type=int, help="Draw N cases, stratified by category.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option(
    "--categories", help="Restrict to these categories or groups first (comma-separated)."
)
def add_cmd(
    name: str,
    suite_spec: str,
    cases: tuple[str, ...],
    id_file: Path | None,
    sample: int | None,
    seed: int,
    categories: str | None,
) -> None:
    """Store subset NAME of a suite version from --cases, --file or --sample."""
    if not cases and id_file is None and sample is None:
        raise ConfigError("give the cases: --cases, --file or --sample")
    if id_file is not None and (cases or sample is not None):
        raise ConfigError("--file takes no --cases or --sample")
    cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, suite_spec)
        if id_file is not None:
            known = [cid for cid, _ in suite_ids(session, suite)]
            ids = check_ids(read_id_file(id_file), known, str(id_file))
            definition = f"--file {id_file}"
        else:
            chosen = select_cases(
                session, suite, categories=cats, cases=cases, sample=sample, seed=seed
            )
            ids, definition = chosen.case_ids, chosen.definition
        if cats is not None:
            definition = f"--categories {','.join(cats)} {definition}"
        add_subset(session, suite, name, ids, definition)
    click.echo(f"added subset {name} of {suite.name}@{suite.version}: {len(ids)} cases")


@subsets.command("list")
@click.option("--suite", "suite_spec", help="Only subsets of this suite version.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line: a list of subsets.")
def list_cmd(suite_spec: str | None, as_json: bool) -> None:
    """List subsets with their suite version, size and definition."""
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, suite_spec) if suite_spec else None
        rows = list_subsets(session, suite)
    if as_json:
        emit_json(
            [
                {
                    "name": s.name,
                    "suite": f"{owner.name}@{owner.version}",
                    "cases": len(s.case_ids),
                    "definition": s.definition,
                    "created_at": s.created_at.isoformat(),
                }
                for s, owner in rows
            ]
        )
        return
    if not rows:
        click.echo("no subsets (add one with 'farm subsets add NAME --cases ...')")
        return
    table = Table("subset", "suite", "cases", "definition")
    for s, owner in rows:
        table.add_row(s.name, f"{owner.name}@{owner.version}", str(len(s.case_ids)), s.definition)
    console().print(table)


@subsets.command("show")
@click.argument("name")
@click.option("--suite", "suite_spec", default="bfcl", show_default=True, help=SUITE_HELP)
@click.option("--ids", "show_ids", is_flag=True, help="List the case ids, one a line.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the ids.")
def show_cmd(name: str, suite_spec: str, show_ids: bool, as_json: bool) -> None:
    """Show subset NAME: its definition and cases per category."""
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, suite_spec)
        subset = get_subset(session, suite, name)
        category = dict(suite_ids(session, suite))
    per = Counter(category.get(cid, "?") for cid in subset.case_ids)
    if as_json:
        emit_json(
            {
                "name": subset.name,
                "suite": f"{suite.name}@{suite.version}",
                "definition": subset.definition,
                "created_at": subset.created_at.isoformat(),
                "categories": dict(per),
                "case_ids": subset.case_ids,
            }
        )
        return
    if show_ids:
        for cid in subset.case_ids:
            click.echo(cid)
        return
    table = Table(
        "category",
        "cases",
        title=f"{subset.name} of {suite.name}@{suite.version}: {subset.definition}",
    )
    for cat, n in per.items():
        table.add_row(cat, str(n))
    table.add_section()
    table.add_row("total", str(len(subset.case_ids)))
    console().print(table)


@subsets.command("remove")
@click.argument("name")
@click.option("--suite", "suite_spec", default="bfcl", show_default=True, help=SUITE_HELP)
def remove_cmd(name: str, suite_spec: str) -> None:
    """Delete subset NAME (runs made with it keep their case ids)."""
    engine = open_database(cli_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, suite_spec)
        remove_subset(session, suite, name)
    click.echo(f"removed subset {name} of {suite.name}@{suite.version}")
