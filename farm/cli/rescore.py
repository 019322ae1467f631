"""``farm rescore``: score a run's stored outputs again as a new, linked run."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings, emit_json


@click.command()
@click.argument("run")
@click.option(
    "--suite",
    "suite_spec",
    help="Score against this suite version (e.g. bfcl@V+NAME) [default: the run's own].",
)
@click.option("--label", help="Label of the new run.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", default=20, show_default=True, help="Moved case ids listed (0: all).")
def rescore(run: str, suite_spec: str | None, label: str | None, as_json: bool, limit: int) -> None:
    """Score RUN's stored outputs again (no inference) as a new run linked to RUN.

    Use it after 'farm suites patch' (--suite bfcl@V+NAME) or after a scorer change; then
    'farm compare RUN NEW' shows exactly which verdicts moved.
    """
    from farm.db.migrate import open_database
    from farm.evaluation.rescore import rescore_run

    engine = open_database(cli_settings())
    report = rescore_run(engine, run, suite_spec=suite_spec, label=label)
    if as_json:
        emit_json(
            {
                "run_id": str(report.run_id),
                "source_run_id": str(report.source_id),
                "suite": report.suite,
                "cases": report.n,
                "correct": report.correct,
                "moved": report.moved,
                "dropped": report.dropped,
            }
        )
        return
    new, old = str(report.run_id)[:8], str(report.source_id)[:8]
    click.echo(
        f"rescored run {old} against {report.suite} as run {new}: {report.n} cases, "
        f"{report.correct} correct, {len(report.moved)} verdict(s) moved"
        + (f", {len(report.dropped)} case(s) not in the suite left out" if report.dropped else "")
    )
    shown = report.moved if limit <= 0 else report.moved[:limit]
    for case_id in shown:
        click.echo(f"  {case_id}")
    if len(shown) < len(report.moved):
        click.echo(f"  ... {len(report.moved) - len(shown)} more (--limit 0 lists all)")
    click.echo(f"compare: farm compare {old} {new}")
