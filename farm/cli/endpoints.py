"""``farm endpoints``: look at the endpoints the farm is configured to use."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings, emit_json


@click.group()
def endpoints() -> None:
    """Inspect configured model endpoints."""


@endpoints.command("check")
@click.option("--model", "-m", "models", multiple=True, help="Check this model's endpoints.")
@click.option("--endpoint", "urls", multiple=True, help="Check this URL (host:port or .../v1).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead.")
def check(models: tuple[str, ...], urls: tuple[str, ...], as_json: bool) -> None:
    """Report each endpoint's health and the models it serves.

    Without options: the environment's completion and embedding endpoints, the vLLM attach
    endpoint (when VLLM_ENDPOINT or VLLM_PORT is set) and every endpoint in models.toml.
    """
    from farm.endpoints.check import check_endpoints, configured_endpoints, model_endpoints
    from farm.models.registry import EndpointConfig, normalise_base_url

    settings = cli_settings()
    chosen = [pair for name in models for pair in model_endpoints(settings, name)]
    chosen += [("given", EndpointConfig(base_url=normalise_base_url(url))) for url in urls]
    if not models and not urls:
        chosen = configured_endpoints(settings)
    results = check_endpoints(settings, chosen)
    if as_json:
        emit_json(
            [
                {"name": r.name, "url": r.url, "ok": r.ok, "detail": r.detail, "models": r.models}
                for r in results
            ]
        )
    elif not results:
        click.echo("no endpoints configured (set COMPLETION_BASE_URL or OPENAI_BASE_URL)")
    for result in [] if as_json else results:
        mark = "ok    " if result.ok else "failed"
        click.echo(f"{mark}  {result.name} {result.url}: {result.detail}")
    if not all(r.ok for r in results):
        raise SystemExit(1)


@endpoints.command("probe")
@click.argument("url")
@click.option("--model", "-m", required=True, help="The model name sent in requests.")
@click.option("--mode", type=click.Choice(["fc", "prompt"]), default="fc", show_default=True)
@click.option("--api-key-env", metavar="NAME", help="Variable holding the endpoint's API key.")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per request.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Probes in flight (a CPU llama-server with 2 slots: 2, or requests wait and time out).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def probe(
    url: str,
    model: str,
    mode: str,
    api_key_env: str | None,
    timeout: float,
    concurrency: int,
    as_json: bool,
) -> None:
    """Check URL's tool calling with about 20 fixed requests before a long run.

    Each reply is checked for structure: tool calls where expected and none where not,
    arguments as valid JSON strings that fit the tool's schema, the finish reason. Calls
    answered as text are reported with the call format that reads them. Exits 1 unless
    every probe conforms.
    """
    import asyncio

    from farm.endpoints.env import resolve_api_key
    from farm.endpoints.probe import probe_endpoint
    from farm.models.registry import EndpointConfig, normalise_base_url

    base_url = normalise_base_url(url)
    key = resolve_api_key(EndpointConfig(base_url=base_url, api_key_env=api_key_env))
    report = asyncio.run(
        probe_endpoint(
            base_url, model, mode=mode, api_key=key, timeout=timeout, concurrency=concurrency
        )
    )
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_probe(report)
    if report.passed < len(report.checks):
        raise SystemExit(1)


def _print_probe(report: object) -> None:
    from rich.markup import escape
    from rich.table import Table

    from farm.cli.context import console
    from farm.endpoints.probe import ProbeReport

    assert isinstance(report, ProbeReport)
    table = Table(
        title=f"Probe of {report.url} ({report.model}, {report.mode})", title_justify="left"
    )
    for header in ("Probe", "OK", "Calls", "Finish", "Issues"):
        table.add_column(header, no_wrap=header != "Issues")
    for c in report.checks:
        table.add_row(
            c.probe,
            "yes" if c.ok else "NO",
            str(c.calls),
            escape(str(c.finish_reason)),
            escape(", ".join(c.issues)),
        )
    out = console()
    out.print(table)
    out.print(f"conformance {report.passed}/{len(report.checks)} ({100 * report.rate:.1f}%)")
    for family in report.text_formats():
        out.print(
            f"calls come back as text in the {family} syntax: run with --call-format {family}"
        )
