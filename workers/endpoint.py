"""Where a worker's endpoint comes from: the ONE place a worker resolves it.

Precedence: ``--endpoint URL[,URL...]``, then attach to a server someone else started
(``VLLM_ENDPOINT``, a URL, or ``VLLM_PORT`` on this host), then the endpoints the model
registry names. Hosting a model on ``--gpus`` is added here by the GPU-serving extension;
a worker never stops a server it did not start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from farm.config import Settings
from farm.errors import ConfigError
from farm.models.registry import EndpointConfig, ModelSpec, normalise_base_url, resolve_model


@dataclass(frozen=True)
class EndpointOptions:
    """The worker's endpoint-related options.

    Attributes:
        endpoint: ``--endpoint``: comma-separated base URLs to attach to.
        gpus: ``--gpus``: GPU indices ("0,1") or "all" to host the model on.
        mode: ``--mode``: fc or prompt (default: the model's).
        backend: ``--backend``: vllm or sglang when hosting (default: the model's, or vllm).
        tensor_parallel: ``--tensor-parallel``: GPUs per replica (default: the model's).
        replicas_per_gpu: ``--replicas-per-gpu``: replicas packed onto each GPU.
        attach: ``--attach`` / ``--skip-vllm``: never host; attach to VLLM_ENDPOINT or
            VLLM_PORT (or --endpoint) after checking that it answers.
        api_key_env: ``--api-key-env``: the variable holding the endpoint's API key.
    """

    endpoint: str | None = None
    gpus: str | None = None
    mode: str | None = None
    backend: str | None = None
    tensor_parallel: int | None = None
    replicas_per_gpu: int = 1
    attach: bool = False
    api_key_env: str | None = None


def attach_endpoint(options: EndpointOptions) -> str | None:
    """The URL(s) to attach to: ``--endpoint``, else ``VLLM_ENDPOINT``, else ``VLLM_PORT``."""
    if options.endpoint:
        return options.endpoint
    url = os.environ.get("VLLM_ENDPOINT", "").strip()
    if url:
        return url
    port = os.environ.get("VLLM_PORT", "").strip()
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"VLLM_PORT={port!r} is not a port number")
        return f"http://127.0.0.1:{port}/v1"
    return None


def worker_model(settings: Settings, name: str, options: EndpointOptions) -> ModelSpec:
    """The model a worker serves, with the endpoint it attaches to when there is one.

    Raises:
        ConfigError: for an unknown model or a model with no endpoint anywhere.
    """
    if options.endpoint and options.gpus:
        raise ConfigError("give either --endpoint or --gpus, not both")
    return resolve_model(
        settings,
        name,
        endpoint=attach_endpoint(options),
        mode=options.mode,
        api_key_env=options.api_key_env,
    )


@contextmanager
def open_endpoint(
    settings: Settings, spec: ModelSpec, options: EndpointOptions
) -> Iterator[list[str]]:
    """Bring up the worker's endpoint and yield its base URL(s) while it is in use.

    Attaching yields the URLs as they are (checked first with ``--attach``); hosting
    (``--gpus``) starts the servers and stops them on exit (:mod:`workers.serving.hosting`).

    Raises:
        ConfigError: when there is nothing to attach to and no way to host.
    """
    if options.gpus and options.attach:
        raise ConfigError("give either --gpus (host the model) or --attach, not both")
    if options.gpus:
        from workers.serving.hosting import host_model

        with host_model(
            settings,
            spec,
            gpus=options.gpus,
            backend=options.backend,
            tensor_parallel=options.tensor_parallel,
            replicas_per_gpu=options.replicas_per_gpu,
        ) as hosted:
            yield hosted
        return
    attach = attach_endpoint(options)
    if options.attach:
        from workers.serving.readiness import check_attached

        if not attach:
            raise ConfigError("--attach needs VLLM_ENDPOINT or VLLM_PORT (or --endpoint URL)")
        for url in attach.split(","):
            if url.strip():
                key = spec.endpoints[0].api_key_env if spec.endpoints else None
                check_attached(
                    normalise_base_url(url),
                    served_name=spec.request_model,
                    api_key=os.environ.get(key) if key else None,
                )
    if attach:
        urls = [normalise_base_url(u) for u in attach.split(",") if u.strip()]
    else:
        urls = [e.base_url for e in spec.endpoints]
    if not urls and spec.backend == "fake":
        urls = []
    elif not urls:
        raise ConfigError(
            f"model {spec.key!r} has no endpoint: pass --endpoint URL, set VLLM_ENDPOINT or "
            "VLLM_PORT, or host it with --gpus"
        )
    yield urls


def with_endpoints(spec: ModelSpec, urls: list[str]) -> ModelSpec:
    """``spec`` talking to ``urls`` (kept as is when they are the spec's own endpoints)."""
    if [e.base_url for e in spec.endpoints] == urls:
        return spec
    return spec.model_copy(update={"endpoints": [EndpointConfig(base_url=u) for u in urls]})
