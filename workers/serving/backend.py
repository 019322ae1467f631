"""The interface every server backend (vLLM, SGLang, llama.cpp) implements, and its loader.

The backends are registered by name in :mod:`farm.backends` (the only list), each naming its
implementation module here; :func:`get_backend` loads it on use. Implementations import this
module, never the other way round.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence

from farm.backends import load_target, server_backend_info, server_backend_names
from farm.errors import ConfigError
from workers.serving.spec import OFFLINE_ENV, LaunchSpec

#: Flags the farm always sets itself; extra_args may not repeat them.
_RESERVED = ("--host", "--port", "--model", "--model-path", "--served-model-name")


class ServerBackend(ABC):
    """How to start one kind of OpenAI-compatible server.

    Only :meth:`command` is abstract; the rest are hooks with defaults.
    """

    #: The backend's registered name (``--backend``); :func:`get_backend` sets it.
    name: str = ""
    #: The launcher used when none is given: the module entry point of this Python.
    default_launcher: tuple[str, ...] = ()
    #: Whether the server accepts several served names (a per-launch nonce alias).
    nonce_alias: bool = True

    def launcher(self, given: Sequence[str] | None) -> list[str]:
        """The launcher prefix: ``given`` or the default one of this backend."""
        return list(given) if given else [sys.executable, *self.default_launcher]

    @abstractmethod
    def command(
        self,
        spec: LaunchSpec,
        *,
        nonce_name: str,
        host: str,
        port: int,
        launcher: Sequence[str] | None = None,
    ) -> list[str]:
        """The full command line that starts ``spec`` on ``host:port``."""

    def served_names(self, spec: LaunchSpec, nonce_name: str) -> list[str]:
        """The names ``/v1/models`` must list once this launch is ready."""
        return [spec.served_name, nonce_name] if self.nonce_alias else [spec.served_name]

    def environment(
        self, spec: LaunchSpec, *, devices: Sequence[int | str] | None, ready_timeout: float
    ) -> dict[str, str]:
        """Variables added to the server's environment."""
        env = {"DO_NOT_TRACK": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
        if devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(d) for d in devices)
        if spec.offline:
            env.update(OFFLINE_ENV)
        return env


def check_extra_args(spec: LaunchSpec, *, reserved: Sequence[str] = _RESERVED) -> None:
    """Refuse extra arguments that would override what the farm sets itself (``reserved``)."""
    for arg in spec.extra_args:
        flag = arg.split("=", 1)[0]
        if flag in reserved:
            raise ConfigError(
                f"extra_args may not set {flag}: the farm chooses it (use the worker's options)"
            )


def get_backend(name: str) -> ServerBackend:
    """The server backend registered as ``name`` in :mod:`farm.backends`, loaded on use.

    Raises:
        ConfigError: for an unknown name, or an implementation that cannot be loaded.
    """
    info = server_backend_info(name)
    if info is None:
        raise ConfigError(
            f"unknown serving backend {name!r}: choose {', '.join(server_backend_names())}"
        )
    what = f"serving backend {name!r}"
    cls = load_target(info.target, what=what)
    if not (isinstance(cls, type) and issubclass(cls, ServerBackend)):
        raise ConfigError(f"{what}: {info.target} is not a ServerBackend class")
    backend = cls()
    backend.name = name
    return backend
