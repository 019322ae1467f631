"""The two backend registries: endpoint backends and server backends, by name.

* An **endpoint backend** is how the farm talks to a model: ``openai-compatible`` (any
  server speaking the OpenAI API), ``simulator`` (the farm's own), ``fake`` (in process).
  Its implementation is an :class:`~farm.endpoints.client.Endpoint` subclass.
* A **server backend** is a server a worker starts to host a model (``vllm``, ``sglang``,
  ``llama.cpp``); the farm talks to it through an endpoint backend (its ``protocol``). Its
  implementation is a :class:`workers.serving.backend.ServerBackend` subclass.

A model's ``backend`` (:class:`~farm.models.registry.ModelSpec`) names one of either kind.
The registrations below are the only lists of backends: the model registry's validation,
the ``--backend`` choices of the CLI and every check of "is this a served model" read them.

The rule that keeps the layers apart: this module is a leaf (it imports nothing of the farm
but :mod:`farm.errors`), so every layer may read the names, and a registration names its
implementation by import path (``"package.module:Class"``), loaded only when used: endpoint
implementations by :func:`farm.endpoints.client.make_endpoint`, server implementations only
by ``workers`` (:func:`workers.serving.backend.get_backend`). The farm thus knows every server
backend without importing ``workers``, and no import runs from a lower layer to an
implementation. Adding a backend is one implementation module plus one registration here.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Literal, get_args

from farm.errors import ConfigError

#: What a server backend serves: a model directory or Hub id, or one GGUF file.
Weights = Literal["hf", "gguf"]


@dataclass(frozen=True)
class EndpointBackendInfo:
    """A registered way of talking to a model.

    Attributes:
        name: the name a model's ``backend`` field uses.
        target: the implementation, ``"module:Class"`` (an ``Endpoint`` subclass).
        summary: one line for help texts.
        url: whether it is reached at a URL (False: it runs in process and needs none).
        requires: Python modules it needs beyond the farm's own dependencies.
    """

    name: str
    target: str
    summary: str
    url: bool = True
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerBackendInfo:
    """A registered model server a worker can host.

    Attributes:
        name: the name ``--backend`` and a model's ``backend`` field use.
        target: the implementation, ``"workers.serving.MODULE:Class"``; loaded only by workers.
        summary: one line for help texts.
        protocol: the endpoint backend that talks to the running server.
        weights: what it serves: ``"hf"`` (a model directory or Hub id) or ``"gguf"`` (one
            GGUF file).
        tool_call_parsers: whether it takes vLLM's ``--tool-call-parser`` names (translated
            where its own differ); False where the chat template parses tool calls.
    """

    name: str
    target: str
    summary: str
    protocol: str = "openai-compatible"
    weights: Weights = "hf"
    tool_call_parsers: bool = True


_ENDPOINT_BACKENDS: dict[str, EndpointBackendInfo] = {}
_SERVER_BACKENDS: dict[str, ServerBackendInfo] = {}


def _check_new(name: str) -> None:
    if name in _ENDPOINT_BACKENDS or name in _SERVER_BACKENDS:
        raise ConfigError(f"backend {name!r} is registered twice")
    if not name or "/" in name or name != name.strip():
        raise ConfigError(f"backend name {name!r} must be non-empty, without '/' or spaces")


def endpoint_backend(
    name: str, target: str, summary: str, *, url: bool = True, requires: tuple[str, ...] = ()
) -> EndpointBackendInfo:
    """Register an endpoint backend; see :class:`EndpointBackendInfo` for the fields.

    Raises:
        ConfigError: if ``name`` is taken or malformed.
    """
    _check_new(name)
    entry = EndpointBackendInfo(name, target, summary, url=url, requires=requires)
    _ENDPOINT_BACKENDS[name] = entry
    return entry


def server_backend(
    name: str,
    target: str,
    summary: str,
    *,
    protocol: str = "openai-compatible",
    weights: Weights = "hf",
    tool_call_parsers: bool = True,
) -> ServerBackendInfo:
    """Register a server backend; see :class:`ServerBackendInfo` for the fields.

    Raises:
        ConfigError: if ``name`` is taken or malformed, or ``protocol`` is no endpoint backend.
    """
    _check_new(name)
    if protocol not in _ENDPOINT_BACKENDS:
        raise ConfigError(f"server backend {name!r}: unknown protocol {protocol!r}")
    if weights not in get_args(Weights):
        raise ConfigError(f"server backend {name!r}: weights must be 'hf' or 'gguf'")
    entry = ServerBackendInfo(name, target, summary, protocol, weights, tool_call_parsers)
    _SERVER_BACKENDS[name] = entry
    return entry


# The registrations: the only lists of backends.

endpoint_backend(
    "openai-compatible",
    "farm.endpoints.client:HttpEndpoint",
    "any server speaking the OpenAI chat and completions API",
)
endpoint_backend(
    "simulator", "farm.endpoints.client:HttpEndpoint", "the farm's simulator (farm simulate)"
)
endpoint_backend(
    "fake",
    "farm.endpoints.fake:FakeEndpoint",
    "an in-process model answering from the ground truth",
    url=False,
)

server_backend("vllm", "workers.serving.vllm:VllmBackend", "vLLM's OpenAI-compatible server")
server_backend("sglang", "workers.serving.sglang:SglangBackend", "SGLang's server")
server_backend(
    "llama.cpp",
    "workers.serving.llamacpp:LlamaCppBackend",
    "llama.cpp's llama-server: one GGUF file, CPU or GPU",
    weights="gguf",
    tool_call_parsers=False,
)

#: The server backend a worker hosts with when neither ``--backend`` nor the model names one.
DEFAULT_SERVER_BACKEND = "vllm"


def endpoint_backend_names() -> tuple[str, ...]:
    """The registered endpoint backends, in registration order."""
    return tuple(_ENDPOINT_BACKENDS)


def server_backend_names() -> tuple[str, ...]:
    """The registered server backends, in registration order."""
    return tuple(_SERVER_BACKENDS)


def backend_names() -> tuple[str, ...]:
    """Every name a model's ``backend`` may take: endpoint backends, then server backends."""
    return endpoint_backend_names() + server_backend_names()


def check_backend(name: str) -> str:
    """``name`` if it is a registered backend of either kind.

    Raises:
        ValueError: naming the choices (pydantic reports it as a validation error).
    """
    if name not in _ENDPOINT_BACKENDS and name not in _SERVER_BACKENDS:
        raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(backend_names())}")
    return name


def server_backend_info(name: str) -> ServerBackendInfo | None:
    """The server backend called ``name``, or None when ``name`` is not one."""
    return _SERVER_BACKENDS.get(name)


def endpoint_backend_for(name: str) -> EndpointBackendInfo:
    """The endpoint backend that talks to models of backend ``name``.

    A server backend is talked to through its ``protocol``.

    Raises:
        ConfigError: if ``name`` is no registered backend.
    """
    server = _SERVER_BACKENDS.get(name)
    entry = _ENDPOINT_BACKENDS.get(server.protocol if server else name)
    if entry is None:
        raise ConfigError(f"unknown backend {name!r}: choose one of {', '.join(backend_names())}")
    return entry


def load_target(target: str, *, what: str, requires: tuple[str, ...] = ()) -> object:
    """Import ``"module:attr"`` and return the attribute; ``what`` names it in errors.

    Raises:
        ConfigError: when a module in ``requires`` is missing, or the target cannot be loaded.
    """
    for module in requires:
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"{what} needs the Python package {module!r}; install it first")
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{what}: cannot load {target}: {exc}") from exc
