"""``farm evaluate``: score an existing BFCL result folder and store it as a run."""

from __future__ import annotations

from pathlib import Path

import click

from farm.cli.context import cli_settings, emit_json
from farm.cli.options import CallFormatChoice
from farm.db.migrate import open_database


@click.command()
@click.option(
    "--bfcl-results",
    "results_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="BFCL's result/<model>/ folder (with non_live/, live/, multi_turn/).",
)
@click.option("--mode", type=CallFormatChoice(), help="Output style: fc or prompt.")
@click.option(
    "--call-format",
    metavar="NAME",
    help="Decode the outputs with this call format: fc, prompt or a family (hermes, "
    "glm4_bfcl, llama3_json, decoded, ...). Default: --mode, else the format BFCL's handler "
    "of --model uses (farm.formats.bfcl_models).",
)
@click.option(
    "--model",
    required=True,
    help="Model name to store the run under (a BFCL registry name picks its decoder).",
)
@click.option("--suite", "suite_spec", default="bfcl", show_default=True, help="Suite spec.")
@click.option(
    "--underscore-to-dot/--no-underscore-to-dot",
    default=None,
    help="FC tool names had '.' replaced by '_' (default: detected from the outputs).",
)
@click.option("--label", default=None, help="Label for the run.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON line (has run_id).")
def evaluate(
    results_dir: Path,
    mode: str | None,
    call_format: str | None,
    model: str,
    suite_spec: str,
    underscore_to_dot: bool | None,
    label: str | None,
    as_json: bool,
) -> None:
    """Score BFCL result files exactly as 'bfcl evaluate' does, and store them as a run.

    BFCL decodes each model's results with that model's handler: give --call-format, or
    --model with a BFCL registry name (e.g. Qwen/Qwen3-8B-FC, gemini-2.5-flash-FC), or
    --mode fc|prompt for OpenAI-style tool calls or BFCL's prompt syntax.
    """
    from farm.evaluation.importer import evaluate_results

    chosen = choose_call_format(model, mode, call_format)
    engine = open_database(cli_settings())
    report = evaluate_results(
        engine,
        results_dir,
        mode=chosen,
        model=model,
        suite_spec=suite_spec,
        underscore_to_dot=underscore_to_dot,
        label=label,
    )
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"run {report.run_id}  model {report.model}  suite {report.suite}  call format {chosen}"
    )
    for cat in report.categories:
        acc = cat.correct / cat.n if cat.n else 0.0
        note = f"  (partial: {cat.n} of {cat.expected})" if cat.partial else ""
        click.echo(f"  {cat.category:<28} {cat.correct:>5}/{cat.n:<5} {acc:7.2%}{note}")
    partial = [c.category for c in report.categories if c.partial]
    if partial:
        click.echo(f"partial categories scored on the entries present: {', '.join(partial)}")
    for name, (accuracy, ran) in report.sections.items():
        click.echo(f"  [{name}] {accuracy:7.2%}{'' if ran else '  (N/A: not every member ran)'}")
    if report.format_sensitivity:
        from farm.agentic.sensitivity import stats_text

        click.echo(f"  [format_sensitivity] {stats_text(report.format_sensitivity)}")
    for skipped in report.skipped_files:
        click.echo(f"skipped {skipped}", err=True)
    if as_json:
        emit_json(report.as_json())


def choose_call_format(model: str, mode: str | None, call_format: str | None) -> str:
    """--call-format, else --mode, else the BFCL registry's format for ``model``.

    Raises:
        ConfigError: none of the three, or --mode and --call-format that disagree.
    """
    from farm.errors import ConfigError
    from farm.formats.bfcl_models import bfcl_model_format
    from farm.models.registry import choose_mode

    chosen = choose_mode(mode, call_format)
    if chosen is not None:
        return chosen
    known = bfcl_model_format(model)
    if known is None:
        raise ConfigError(
            f"model {model!r} is not in the BFCL model table: give --mode fc|prompt or "
            "--call-format NAME"
        )
    return known
