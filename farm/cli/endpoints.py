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
