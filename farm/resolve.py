"""One model resolution per process: a model name plus command-line options -> a spec.

Every command resolves its model here exactly once (``farm run``, ``farm submit``, ``farm
worker``, ``farm resume``) and passes the resolved :class:`~farm.models.registry.ModelSpec`
on to the producer, the executors and the workers. It sits above both the model registry
and the endpoint environment fallbacks, which therefore never import each other.
"""

from __future__ import annotations

from typing import Any

from farm.backends import backend_names, endpoint_backend_for, server_backend_info
from farm.config import Settings
from farm.endpoints.env import completion_endpoint
from farm.errors import ConfigError
from farm.formats import get_format
from farm.models.registry import (
    EndpointConfig,
    ModelSpec,
    build_spec,
    choose_mode,
    lookup_model,
    normalise_base_url,
)


def resolve_model(
    settings: Settings,
    name: str,
    *,
    endpoint: str | None = None,
    mode: str | None = None,
    api_key_env: str | None = None,
    call_format: str | None = None,
) -> ModelSpec:
    """Resolve a model name plus command-line options into a complete :class:`ModelSpec`.

    ``call_format`` (``--call-format NAME``) names the call format, overriding the preset's
    and the registry's like ``mode`` does; besides ``fc`` and ``prompt`` it may be a model
    family's format (:mod:`farm.formats.families`: native tools out, calls the server
    returns as text parsed by the client). See :func:`~farm.models.registry.choose_mode`.

    Precedence for endpoints: ``endpoint`` (comma-separated URLs) > the registry entry's
    endpoints > the environment (``COMPLETION_BASE_URL``, then ``OPENAI_BASE_URL``; see
    :mod:`farm.endpoints.env`). Models the registry does not know work when ``endpoint``
    and ``mode`` are given; ``backend/model-id`` names choose the backend.

    Raises:
        ConfigError: on an unknown model without endpoint and mode, a bad mode, or a model
            that has no endpoint anywhere.
    """
    mode = choose_mode(mode, call_format)
    if mode is not None:
        get_format(mode)  # ConfigError for an unknown one
    try:
        spec = lookup_model(settings, name)
    except ConfigError:
        if endpoint is None or mode is None:
            raise
        backend, _, model_id = name.partition("/")
        if backend not in backend_names() or not model_id:
            backend, model_id = "openai-compatible", name
        spec = build_spec(name, {"backend": backend, "served_name": model_id}, "command line")
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["mode"] = mode
        if mode != spec.mode and spec.display_name:
            changes["display_name"] = relabel_mode(spec.display_name, mode)
    if endpoint is not None:
        urls = [url.strip() for url in endpoint.split(",") if url.strip()]
        if not urls:
            raise ConfigError(f"--endpoint {endpoint!r} names no URL")
        changes["endpoints"] = [EndpointConfig(base_url=normalise_base_url(u)) for u in urls]
    elif not spec.endpoints and _env_fallback(spec.backend):
        env_endpoint = completion_endpoint(settings)
        if env_endpoint is None:
            raise ConfigError(
                f"model {name!r} has no endpoint: pass --endpoint, add endpoints in "
                f"{settings.resolved_models_file}, or set COMPLETION_BASE_URL or OPENAI_BASE_URL"
            )
        changes["endpoints"] = [EndpointConfig(base_url=env_endpoint.base_url)]
    if api_key_env is not None:
        endpoints = changes.get("endpoints", spec.endpoints)
        changes["endpoints"] = [
            e.model_copy(update={"api_key_env": api_key_env}) for e in endpoints
        ]
    if not spec.display_name:
        changes["display_name"] = name
    return spec.model_copy(update=changes) if changes else spec


def relabel_mode(display_name: str, mode: str) -> str:
    """``display_name`` with BFCL's mode suffix for ``mode`` (FC for every mode but prompt).

    ``Simulator (FC)`` run with ``--mode prompt`` is ``Simulator (Prompt)``; a name without
    such a suffix is kept as it is.
    """
    for suffix in (" (FC)", " (Prompt)"):
        if display_name.endswith(suffix):
            return display_name.removesuffix(suffix) + (
                " (Prompt)" if mode == "prompt" else " (FC)"
            )
    return display_name


def _env_fallback(backend: str) -> bool:
    """Whether a model of ``backend`` without endpoints reads them from the environment.

    True for endpoint backends reached at a URL; not for in-process ones (``fake``) nor for
    server backends, whose endpoint is the server a worker hosts or attaches to.
    """
    return server_backend_info(backend) is None and endpoint_backend_for(backend).url
