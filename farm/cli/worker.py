"""``farm worker``: a Celery worker consuming one model's queue."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings
from farm.cli.options import CallFormatChoice, call_format_option, strict_option
from farm.cli.serving import hosting_options


@click.command()
@click.option("--model", "-m", required=True, help="Model whose queue to consume.")
@click.option("--endpoint", help="Base URL(s) to attach to, comma-separated [env VLLM_ENDPOINT].")
@click.option("--mode", type=CallFormatChoice(), help="Mode for an ad-hoc model.")
@call_format_option
@strict_option
@click.option(
    "--api-key-env",
    metavar="NAME",
    help="Variable holding the endpoint's API key (environment or .env); without it an "
    "--endpoint gets no key.",
)
@hosting_options
@click.option("--concurrency", type=int, help="Requests in flight (default: the model's).")
@click.option("--shards", type=int, default=2, show_default=True, help="Shards run at once.")
@click.option("--name", help="Worker node name (default farm-<model>-<pid>@<host>).")
@click.option("--loglevel", default="WARNING", show_default=True, help="Celery log level.")
def worker(
    model: str,
    endpoint: str | None,
    mode: str | None,
    call_format: str | None,
    strict: bool,
    api_key_env: str | None,
    gpus: str | None,
    backend: str | None,
    tensor_parallel: int | None,
    replicas_per_gpu: int,
    attach: bool,
    concurrency: int | None,
    shards: int,
    name: str | None,
    loglevel: str,
) -> None:
    """Consume MODEL's queue (farm.model.MODEL) and execute its shards.

    The endpoint comes from --gpus (host the model: one vLLM/SGLang replica per GPU or
    tensor-parallel group, stopped when the worker stops), else --endpoint, else
    VLLM_ENDPOINT / VLLM_PORT (attach to a server started elsewhere), else the registry.
    Stop with Ctrl-C or SIGTERM: running shards go back to the queue.
    """
    from workers.endpoint import EndpointOptions
    from workers.main import WorkerOptions, run_worker

    code = run_worker(
        cli_settings(),
        WorkerOptions(
            model=model,
            endpoint=EndpointOptions(
                endpoint=endpoint,
                mode=mode,
                gpus=gpus,
                backend=backend,
                tensor_parallel=tensor_parallel,
                replicas_per_gpu=replicas_per_gpu,
                attach=attach,
                api_key_env=api_key_env,
                call_format=call_format,
            ),
            strict=strict,
            concurrency=concurrency,
            shards=shards,
            name=name,
            loglevel=loglevel.upper(),
        ),
    )
    raise SystemExit(code)
