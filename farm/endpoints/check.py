"""Health of configured endpoints: ``GET /health`` and ``GET /v1/models`` on each.

"Configured" means: the completion and embedding endpoints of the settings (environment,
then ``.env``), the attach endpoint when ``VLLM_ENDPOINT`` or ``VLLM_PORT`` is set, and every
endpoint named in the registry file. Presets are not probed unless asked for by name. Each
probe carries only the key that belongs to its endpoint (:mod:`farm.endpoints.env`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import SecretStr

from farm.config import Settings
from farm.endpoints.client import HttpEndpoint
from farm.endpoints.env import (
    EnvEndpoint,
    Purpose,
    attach_requested,
    attach_url,
    completion_endpoint,
    embedding_endpoint,
    paired_key,
)
from farm.errors import FarmError
from farm.failures import RetryPolicy
from farm.models.registry import EndpointConfig, ModelSpec, lookup_model, read_models_file


@dataclass(frozen=True)
class EndpointHealth:
    """What one endpoint answered."""

    name: str
    url: str
    ok: bool
    detail: str
    models: tuple[str, ...] = ()


def configured_endpoints(settings: Settings) -> list[tuple[str, EndpointConfig]]:
    """Every endpoint configured in the environment and the registry file, labelled."""
    found: list[tuple[str, EndpointConfig]] = []
    completion = completion_endpoint(settings)
    if completion is not None:
        found.append(("completion (env)", _with_key(completion, "completion", settings)))
    embedding = embedding_endpoint(settings)
    if embedding is not None:
        found.append(("embedding (env)", _with_key(embedding, "embedding", settings)))
    if attach_requested(settings):
        found.append(("vllm attach (env)", EndpointConfig(base_url=attach_url(settings))))
    for name in read_models_file(settings):
        spec = lookup_model(settings, name)
        for endpoint in spec.endpoints:
            found.append((f"model {name}", endpoint))
    return found


def _with_key(endpoint: EnvEndpoint, purpose: Purpose, settings: Settings) -> EndpointConfig:
    """The endpoint with the key paired with its URL for ``purpose`` (if any)."""
    paired = paired_key(endpoint.base_url, purpose, settings)
    key = SecretStr(paired[1]) if paired else None
    return EndpointConfig(base_url=endpoint.base_url, api_key=key)


def model_endpoints(settings: Settings, name: str) -> list[tuple[str, EndpointConfig]]:
    """The endpoints of one registered model."""
    spec = lookup_model(settings, name)
    return [(f"model {name}", endpoint) for endpoint in spec.endpoints]


async def probe(name: str, config: EndpointConfig, *, timeout: float = 5.0) -> EndpointHealth:
    """Ask one endpoint for its health and its models; never raises for endpoint failures."""
    spec = ModelSpec(key="probe", endpoints=[config], max_concurrency=2)
    endpoint = HttpEndpoint(config, spec, RetryPolicy(max_attempts=1, timeout=timeout))
    try:
        try:
            health = await endpoint.get_status("/health")
        except FarmError:
            health = None
        listing = await endpoint.get_json("/models")
        ids = tuple(str(m.get("id")) for m in listing.get("data", []) if isinstance(m, dict))
    except FarmError as exc:
        return EndpointHealth(name, config.base_url, False, exc.message)
    except (AttributeError, TypeError):
        return EndpointHealth(name, config.base_url, False, "/models is not a model list")
    finally:
        await endpoint.aclose()
    state = "healthy" if health == 200 else f"/health answered {health or 'nothing'}"
    models = ", ".join(ids) or "none"
    return EndpointHealth(name, config.base_url, True, f"{state}; models: {models}", ids)


async def probe_all(
    endpoints: list[tuple[str, EndpointConfig]], *, timeout: float = 5.0
) -> list[EndpointHealth]:
    """Probe every endpoint concurrently, in the given order."""
    return list(await asyncio.gather(*(probe(n, c, timeout=timeout) for n, c in endpoints)))


def check_endpoints(
    settings: Settings, endpoints: list[tuple[str, EndpointConfig]] | None = None
) -> list[EndpointHealth]:
    """Probe ``endpoints`` (default: every configured one) and return one line each."""
    chosen = configured_endpoints(settings) if endpoints is None else endpoints
    return asyncio.run(probe_all(chosen)) if chosen else []
