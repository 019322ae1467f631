"""``farm leaderboard``: BFCL-style tables with coverage, errors and confidence intervals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from farm.cli.context import cli_settings, console
from farm.errors import ConfigError

if TYPE_CHECKING:
    from farm.report.rows import HistoryPoint, RunRow

FORMATS = ("table", "csv", "md", "html", "json", "bfcl-csv")
FILE_NAMES = {
    "csv": "leaderboard.csv",
    "md": "leaderboard.md",
    "html": "leaderboard.html",
    "json": "leaderboard.json",
    "table": "leaderboard.txt",
}


def _write(out: Path, name: str, text: str) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        path = out / name
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {out / name}: {exc.strerror}") from exc
    return path


def _notes(rows: list[RunRow], left_out: list[RunRow], subset: str | None) -> None:
    """Say on stderr when runs of different case sets are shown, or were left out."""
    err = console(stderr=True)
    if subset is not None:
        err.print(f"scores on {subset} only", highlight=False)
        if left_out:
            names = ", ".join(r.short_id for r in left_out[:10])
            more = " ..." if len(left_out) > 10 else ""
            err.print(
                f"note: {len(left_out)} run(s) left out: they lack some of the subset's "
                f"cases ({names}{more})",
                highlight=False,
            )
        return
    sets = {r.selection for r in rows}
    if len(sets) > 1:
        err.print(
            f"note: these runs cover {len(sets)} different case sets; each set is ranked on "
            "its own (Coverage names the selection; --subset NAME scores every run on one "
            "subset)",
            highlight=False,
        )


def _one_case_set(rows: list[RunRow], *, named: bool) -> list[RunRow]:
    """The rows bfcl-csv may hold: BFCL's files rank every row in one table.

    With runs of several case sets, the runs of whole categories (BFCL's own kind), the
    others being left out with a note; runs named with --run must share one case set.

    Raises:
        ConfigError: named runs on different case sets, or no run of whole categories
            among several case sets.
    """
    from farm.report.coverage import CATEGORY_RUNS

    sets = {r.case_key for r in rows}
    if len(sets) < 2:
        return rows
    kept = [r for r in rows if r.case_key == CATEGORY_RUNS]
    if named or not kept:
        raise ConfigError(
            f"--format bfcl-csv ranks every run in one table, but these runs cover "
            f"{len(sets)} different case sets; name runs of one set with --run, or score "
            "them all on one subset with --subset NAME"
        )
    console(stderr=True).print(
        f"note: bfcl-csv holds the {len(kept)} run(s) of whole categories; "
        f"{len(rows) - len(kept)} run(s) on selected cases left out (--run or --subset "
        "NAME to write those)",
        highlight=False,
    )
    return kept


@click.command()
@click.option("--suite", help="Suite name (newest version) or name@version [default: bfcl].")
@click.option(
    "--run", "runs", multiple=True, help="Only this run (id, id prefix or label); repeatable."
)
@click.option("--latest-per-model", is_flag=True, help="Keep only the newest run of each model.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write into this directory instead of standard output (required for bfcl-csv).",
)
@click.option(
    "--subset",
    help="Score every run on this named subset's cases only ('farm subsets'; of --suite).",
)
def leaderboard(
    suite: str | None,
    runs: tuple[str, ...],
    latest_per_model: bool,
    fmt: str,
    out: Path | None,
    subset: str | None,
) -> None:
    """Scores of scored runs, best Overall first, with BFCL v4 columns.

    Besides BFCL's columns it shows coverage (categories run, cases), inference errors
    per run and a 95% confidence interval per accuracy (Wilson for categories, normal
    approximation for the aggregates). --format bfcl-csv writes BFCL's data_overall.csv,
    data_non_live.csv, data_live.csv, data_multi_turn.csv, data_agentic.csv and
    data_format_sensitivity.csv exactly as `bfcl evaluate` does.
    """
    # Imported here, not at module level: `farm --help` and the sibling commands that use
    # its helpers must not pay for the database, Alembic and every renderer.
    from farm.db.engine import session_scope
    from farm.db.lookup import resolve_run_id as resolve_run
    from farm.db.migrate import open_database
    from farm.report.bfcl_csv import write_bfcl_csv
    from farm.report.compare import history
    from farm.report.html import MAX_BAR_RUNS, render_html
    from farm.report.queries import leaderboard as leaderboard_rows
    from farm.report.render import render_csv, render_json, render_markdown, rich_table

    if fmt == "bfcl-csv" and out is None:
        raise ConfigError("--format bfcl-csv writes files: give --out DIR")
    from farm.report.coverage import resolve_subset

    engine = open_database(cli_settings())
    left_out: list[RunRow] = []
    with session_scope(engine) as session:
        chosen = resolve_subset(session, subset, suite) if subset else None
        rows = leaderboard_rows(
            session,
            suite=suite,
            runs=list(runs),
            latest_per_model=latest_per_model,
            subset=chosen,
            left_out=left_out,
        )
        if fmt == "bfcl-csv" and runs:
            # BFCL sorts each file from its model table, ties keeping the table's order:
            # give it the order the runs were named in.
            named = {resolve_run(session, ref): i for i, ref in reversed(list(enumerate(runs)))}
            rows = sorted(rows, key=lambda r: named[r.run_id])
        series: dict[str, list[HistoryPoint]] = {}
        if fmt == "html":
            for row in rows:
                if len(series) >= MAX_BAR_RUNS or row.display_name in series:
                    continue
                series[row.display_name] = history(
                    session, model=row.model_key, suite=row.suite, limit=50
                )
    if fmt == "bfcl-csv" and chosen is None:
        rows = _one_case_set(rows, named=bool(runs))
    _notes(rows, left_out, chosen.label if chosen else None)
    if fmt == "bfcl-csv":
        assert out is not None
        for path in write_bfcl_csv(rows, out):
            click.echo(str(path))
        return
    if fmt == "table":
        if not rows:
            click.echo("no scored runs" + (f" for suite {suite}" if suite else ""))
            return
        table = rich_table(rows)
        con = console()
        if out is None:
            con.print(table)
            return
        with con.capture() as captured:
            con.print(table)
        click.echo(str(_write(out, FILE_NAMES[fmt], captured.get())))
        return
    text = {
        "csv": lambda: render_csv(rows),
        "md": lambda: render_markdown(rows),
        "json": lambda: render_json(rows) + "\n",
        "html": lambda: render_html(rows, series),
    }[fmt]()
    if out is None:
        click.echo(text, nl=False)
    else:
        click.echo(str(_write(out, FILE_NAMES[fmt], text)))
