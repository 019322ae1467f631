"""Endpoint configuration from the environment.

Precedence, highest first:

1. the command line (``--endpoint``, ``--api-key-env``);
2. the model's entry in the registry (its ``endpoints`` and their ``api_key_env``);
3. the specific variables: ``COMPLETION_BASE_URL`` / ``COMPLETION_API_KEY`` for chat and
   completion requests, ``EMBEDDING_BASE_URL`` / ``EMBEDDING_API_KEY`` for embeddings;
4. the general OpenAI variables ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

URL and key fall back independently: ``COMPLETION_BASE_URL`` with only ``OPENAI_API_KEY``
set uses that key. ``VLLM_ENDPOINT`` / ``VLLM_PORT`` (default ``localhost`` and ``8000``)
name an already running vLLM server for attach mode.

Keys are read from the environment when a request is built and are never logged, stored or
written into a :class:`~farm.models.registry.ModelSpec`: a spec carries the variable's name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from farm.errors import ConfigError
from farm.models.registry import EndpointConfig, normalise_base_url

Purpose = Literal["completion", "embedding"]

_PREFIX: dict[Purpose, str] = {"completion": "COMPLETION", "embedding": "EMBEDDING"}


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def base_url_var(purpose: Purpose, environ: Mapping[str, str] | None = None) -> str | None:
    """The name of the variable that supplies the base URL for ``purpose``, if any is set."""
    env = os.environ if environ is None else environ
    for name in (f"{_PREFIX[purpose]}_BASE_URL", "OPENAI_BASE_URL"):
        if _get(env, name):
            return name
    return None


def api_key_var(purpose: Purpose, environ: Mapping[str, str] | None = None) -> str | None:
    """The name of the variable that supplies the API key for ``purpose``, if any is set."""
    env = os.environ if environ is None else environ
    for name in (f"{_PREFIX[purpose]}_API_KEY", "OPENAI_API_KEY"):
        if _get(env, name):
            return name
    return None


def env_endpoint(
    purpose: Purpose, environ: Mapping[str, str] | None = None
) -> EndpointConfig | None:
    """The endpoint for ``purpose`` from the environment, or ``None`` if no URL is set."""
    env = os.environ if environ is None else environ
    url_var = base_url_var(purpose, env)
    if url_var is None:
        return None
    url = env[url_var]
    try:
        base_url = normalise_base_url(url)
    except ConfigError as exc:
        raise ConfigError(f"{url_var}: {exc.message}") from exc
    return EndpointConfig(base_url=base_url, api_key_env=api_key_var(purpose, env))


def completion_endpoint(environ: Mapping[str, str] | None = None) -> EndpointConfig | None:
    """The chat/completion endpoint from the environment (see the module's precedence)."""
    return env_endpoint("completion", environ)


def embedding_endpoint(environ: Mapping[str, str] | None = None) -> EndpointConfig | None:
    """The embedding endpoint from the environment (see the module's precedence)."""
    return env_endpoint("embedding", environ)


def attach_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``VLLM_ENDPOINT`` or ``VLLM_PORT`` names a running server to attach to."""
    env = os.environ if environ is None else environ
    return bool(_get(env, "VLLM_ENDPOINT") or _get(env, "VLLM_PORT"))


def attach_url(environ: Mapping[str, str] | None = None) -> str:
    """The base URL of an already running vLLM server, from ``VLLM_ENDPOINT`` and ``VLLM_PORT``.

    ``VLLM_ENDPOINT`` is a host (``gpu7``), a host and port (``gpu7:9000``) or a URL
    (``https://gpu7:9000/v1``); default ``127.0.0.1`` (localhost). ``VLLM_PORT`` is the port
    when the endpoint names none; default 8000. The one place these variables are read.

    Raises:
        ConfigError: if ``VLLM_PORT`` is not a port number, or ``VLLM_ENDPOINT`` not a host.
    """
    env = os.environ if environ is None else environ
    raw = _get(env, "VLLM_ENDPOINT") or "127.0.0.1"
    port_text = _get(env, "VLLM_PORT") or "8000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"VLLM_PORT={port_text!r} is not a port number")
    parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    try:
        port = parts.port or int(port_text)
    except ValueError as exc:
        raise ConfigError(f"VLLM_ENDPOINT={raw!r} has a bad port") from exc
    host = parts.hostname
    if not host:
        raise ConfigError(f"VLLM_ENDPOINT={raw!r} is not a host, host:port or URL")
    if ":" in host:
        host = f"[{host}]"
    return normalise_base_url(f"{parts.scheme}://{host}:{port}{parts.path}")


def resolve_api_key(
    endpoint: EndpointConfig,
    purpose: Purpose = "completion",
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """The key to send to ``endpoint``, read now, never stored.

    Order: the endpoint's own secret, the variable it names in ``api_key_env``, then the
    purpose's fallback chain (``COMPLETION_API_KEY`` or ``EMBEDDING_API_KEY``, then
    ``OPENAI_API_KEY``).

    Raises:
        ConfigError: if ``api_key_env`` names a variable that is not set.
    """
    if endpoint.api_key is not None:
        return endpoint.api_key.get_secret_value()
    env = os.environ if environ is None else environ
    if endpoint.api_key_env:
        value = _get(env, endpoint.api_key_env)
        if value is None:
            raise ConfigError(
                f"endpoint {endpoint.label} wants its key in ${endpoint.api_key_env}, "
                "which is not set"
            )
        return value
    var = api_key_var(purpose, env)
    return env[var].strip() if var else None
