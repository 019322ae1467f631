"""Endpoints and keys from the settings (process environment, then ``.env``).

Which URL serves a purpose, highest first:

1. the command line (``--endpoint``) or the model's entry in the registry (its ``endpoints``);
2. the specific variable: ``COMPLETION_BASE_URL`` for chat and completion requests,
   ``EMBEDDING_BASE_URL`` for embeddings;
3. the general ``OPENAI_BASE_URL``.

Which key goes with a request, highest first (:func:`resolve_api_key`):

1. a key given programmatically, or the variable the endpoint names in ``api_key_env``
   (``--api-key-env`` or the registry's ``api_key_env``);
2. the key paired with the endpoint's URL, and only when the URLs are the same: an endpoint
   at ``COMPLETION_BASE_URL`` gets ``COMPLETION_API_KEY``, one at ``EMBEDDING_BASE_URL`` gets
   ``EMBEDDING_API_KEY``, one at ``OPENAI_BASE_URL`` gets ``OPENAI_API_KEY``. When the
   specific URL is unset its purpose uses ``OPENAI_BASE_URL``, and then the specific key
   falls back to ``OPENAI_API_KEY`` (it is the same server).

Any other URL (an ``--endpoint``, a registry endpoint without ``api_key_env``, an attached
vLLM server) gets no key at all, so a shell's ``OPENAI_API_KEY`` never travels to a server it
does not belong to. ``VLLM_ENDPOINT`` / ``VLLM_PORT`` (default ``127.0.0.1`` and ``8000``)
name an already running vLLM server for attach mode.

Keys are read when a request is built and are never logged, stored or written into a model
spec: a spec carries the variable's name. This module reads settings only; it imports
nothing from :mod:`farm.models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from farm.config import Settings, load_settings, normalise_base_url
from farm.errors import ConfigError

Purpose = Literal["completion", "embedding"]


class KeyedEndpoint(Protocol):
    """What :func:`resolve_api_key` needs of an endpoint (an ``EndpointConfig``)."""

    @property
    def base_url(self) -> str:
        """The API root, ``.../v1``."""

    @property
    def api_key_env(self) -> str | None:
        """The variable holding its key, if the endpoint names one."""

    @property
    def api_key(self) -> SecretStr | None:
        """A key given programmatically."""

    @property
    def label(self) -> str:
        """A short name for messages."""


@dataclass(frozen=True)
class EnvEndpoint:
    """An endpoint named by the settings.

    Attributes:
        base_url: the normalised API root, ending in ``/v1``.
        variable: the variable that named it (``COMPLETION_BASE_URL``, ...).
    """

    base_url: str
    variable: str


def _pairs(purpose: Purpose, settings: Settings) -> list[tuple[str, str | None, str, str | None]]:
    """(URL variable, URL, key variable, key) for ``purpose``, most specific first."""
    if purpose == "completion":
        url, key, prefix = settings.completion_base_url, settings.completion_api_key, "COMPLETION"
    else:
        url, key, prefix = settings.embedding_base_url, settings.embedding_api_key, "EMBEDDING"
    general_url, general_key = settings.openai_base_url, _reveal(settings.openai_api_key)
    pairs: list[tuple[str, str | None, str, str | None]] = []
    if url is not None:
        pairs.append((f"{prefix}_BASE_URL", url, f"{prefix}_API_KEY", _reveal(key)))
    elif key is not None:  # the purpose is served by OPENAI_BASE_URL: its own key first
        pairs.append(("OPENAI_BASE_URL", general_url, f"{prefix}_API_KEY", _reveal(key)))
    pairs.append(("OPENAI_BASE_URL", general_url, "OPENAI_API_KEY", general_key))
    return pairs


def _reveal(key: SecretStr | None) -> str | None:
    return key.get_secret_value() if key is not None else None


def _normalised(variable: str, url: str) -> str:
    try:
        return normalise_base_url(url)
    except ConfigError as exc:
        raise ConfigError(f"{variable}: {exc.message}") from exc


def env_endpoint(purpose: Purpose, settings: Settings | None = None) -> EnvEndpoint | None:
    """The endpoint the settings name for ``purpose``, or ``None`` if no URL is set.

    Raises:
        ConfigError: the URL variable holds something that is not an http(s) URL.
    """
    chosen = settings if settings is not None else load_settings()
    for variable, url, _key_var, _key in _pairs(purpose, chosen):
        if url is not None:
            return EnvEndpoint(base_url=_normalised(variable, url), variable=variable)
    return None


def completion_endpoint(settings: Settings | None = None) -> EnvEndpoint | None:
    """The chat/completion endpoint of the settings (see the module's precedence)."""
    return env_endpoint("completion", settings)


def embedding_endpoint(settings: Settings | None = None) -> EnvEndpoint | None:
    """The embedding endpoint of the settings (see the module's precedence)."""
    return env_endpoint("embedding", settings)


def attach_requested(settings: Settings | None = None) -> bool:
    """Whether ``VLLM_ENDPOINT`` or ``VLLM_PORT`` names a running server to attach to."""
    chosen = settings if settings is not None else load_settings()
    return bool(chosen.vllm_endpoint or chosen.vllm_port)


def attach_url(settings: Settings | None = None) -> str:
    """The base URL of an already running vLLM server, from ``VLLM_ENDPOINT`` and ``VLLM_PORT``.

    ``VLLM_ENDPOINT`` is a host (``gpu7``), a host and port (``gpu7:9000``) or a URL
    (``https://gpu7:9000/v1``); default ``127.0.0.1`` (localhost). ``VLLM_PORT`` is the port
    when the endpoint names none; default 8000. The one place these variables are read.

    Raises:
        ConfigError: if ``VLLM_PORT`` is not a port number, or ``VLLM_ENDPOINT`` not a host.
    """
    chosen = settings if settings is not None else load_settings()
    raw = chosen.vllm_endpoint or "127.0.0.1"
    port_text = chosen.vllm_port or "8000"
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


def paired_key(
    base_url: str, purpose: Purpose = "completion", settings: Settings | None = None
) -> tuple[str, str] | None:
    """(key variable, key) paired with ``base_url`` for ``purpose`` (see the module), if any."""
    chosen = settings if settings is not None else load_settings()
    target = base_url.rstrip("/")
    for variable, url, key_var, key in _pairs(purpose, chosen):
        if url is not None and key is not None and _normalised(variable, url) == target:
            return key_var, key
    return None


def resolve_api_key(
    endpoint: KeyedEndpoint,
    purpose: Purpose = "completion",
    settings: Settings | None = None,
) -> str | None:
    """The key to send to ``endpoint``, read now, never stored.

    Order: the endpoint's own secret, the variable it names in ``api_key_env`` (process
    environment, then ``.env``), then the key paired with the endpoint's URL (see the
    module); anything else gets no key.

    Raises:
        ConfigError: if ``api_key_env`` names a variable that is not set.
    """
    if endpoint.api_key is not None:
        return endpoint.api_key.get_secret_value()
    chosen = settings if settings is not None else load_settings()
    if endpoint.api_key_env:
        value = chosen.variable(endpoint.api_key_env)
        if value is None:
            raise ConfigError(
                f"endpoint {endpoint.label} wants its key in ${endpoint.api_key_env}, "
                "which is not set"
            )
        return value
    paired = paired_key(endpoint.base_url, purpose, chosen)
    return paired[1] if paired else None
