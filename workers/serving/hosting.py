"""Hosting for ``farm worker --gpus``: from a registry model to running, ready replicas.

:func:`hosted_model` is what :func:`workers.endpoint.open_endpoint` calls when a worker
hosts its model: it lays replicas over the GPUs (one per GPU, per tensor-parallel group, or
several per GPU), starts them in parallel, yields the ready replicas while the worker consumes,
and stops every process group on exit. Settings that are not worker options come from the
settings (``FARM_SERVER_*`` in the environment or ``.env``, see :class:`ServingSettings`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from farm.backends import DEFAULT_SERVER_BACKEND, Weights, server_backend_info
from farm.config import Settings
from farm.errors import ConfigError, ServingError
from farm.models.registry import ModelSpec
from workers.gpus import parse_gpus, plan_slots
from workers.serving.host import HostOptions, ModelServer, hosted_replicas
from workers.serving.spec import launch_spec

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ServingSettings:
    """The ``FARM_SERVER_*`` settings of hosted servers (see :class:`farm.config.Settings`)."""

    host: str = "127.0.0.1"
    port: int | None = None
    ready_timeout: float = 1800.0
    stop_grace: float = 30.0
    command: str | None = None
    verify_store: bool = False
    publish: Path | None = None


def serving_settings(settings: Settings, **overrides: Any) -> ServingSettings:
    """The ``FARM_SERVER_*`` part of ``settings``; ``overrides`` that are not None win.

    Raises:
        ConfigError: an override is out of range (a port outside 1-65535).
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    port = given.get("port")
    if port is not None and not 0 < int(port) < 65536:
        raise ConfigError(f"invalid setting FARM_SERVER_PORT: {port} is not a port number")
    base = ServingSettings(
        **{
            f.name: getattr(settings, f"server_{f.name}")
            for f in dataclasses.fields(ServingSettings)
        }
    )
    return dataclasses.replace(base, **given)


def host_options(settings: Settings, backend: str, env: ServingSettings) -> HostOptions:
    """The :class:`HostOptions` for a worker of ``settings``."""
    launcher = tuple(shlex.split(env.command)) if env.command else None
    return HostOptions(
        run_dir=settings.home / "run" / "serving",
        backend=backend,
        host=env.host,
        port=env.port,
        launcher=launcher,
        ready_timeout=env.ready_timeout,
        stop_grace=env.stop_grace,
    )


def publish_endpoints(path: Path, spec: ModelSpec, servers: list[ModelServer]) -> None:
    """Write the replicas' public URLs atomically (for jobs that attach, e.g. on SLURM)."""
    record = {
        "model": spec.key,
        "served_name": spec.request_model,
        "endpoints": [server.public_url for server in servers],
        "nonce_names": [server.nonce_name for server in servers],
        "pid": os.getpid(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "started_at": time.time(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(path)


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While hosting, turn SIGTERM into SystemExit so the servers are always stopped.

    Only where SIGTERM would otherwise kill the process outright (the default action) and
    only in the main thread; whoever installs a handler later (Celery) takes over.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def hosted_model(
    settings: Settings,
    spec: ModelSpec,
    *,
    gpus: str,
    backend: str | None = None,
    tensor_parallel: int | None = None,
    replicas_per_gpu: int = 1,
    **overrides: Any,
) -> Iterator[list[ModelServer]]:
    """Host ``spec`` on ``gpus`` ("all" or "0,1"); yield the ready replicas.

    ``overrides`` replace ``FARM_SERVER_*`` settings (host, port, publish, ...).

    Raises:
        ConfigError: for a bad GPU list or layout, or a model that cannot be served.
        ModelStoreError: when a stored model is missing or has damaged files.
        ServingError: when a server does not become ready (the message quotes its log).
    """
    env = serving_settings(settings, **overrides)
    served = server_backend_info(spec.backend) is not None
    chosen = backend or (spec.backend if served else DEFAULT_SERVER_BACKEND)
    info = server_backend_info(chosen)
    weights: Weights = info.weights if info is not None else "hf"
    launch = launch_spec(spec, settings, verify_store=env.verify_store, weights=weights)
    tp = tensor_parallel or launch.tensor_parallel_size
    if tp != launch.tensor_parallel_size:
        launch = dataclasses.replace(launch, tensor_parallel_size=tp)
    slots = plan_slots(parse_gpus(gpus), tensor_parallel=tp, replicas_per_gpu=replicas_per_gpu)
    options = host_options(settings, chosen, env)
    log.info("hosting %s with %s on %s", spec.key, chosen, ", ".join(s.name for s in slots))
    with _sigterm_exits(), hosted_replicas(launch, slots, options) as servers:
        if env.publish is not None:
            publish_endpoints(env.publish, spec, servers)
        try:
            yield servers
        finally:
            if env.publish is not None:
                env.publish.unlink(missing_ok=True)


def watch(servers: list[ModelServer], *, poll_s: float = 1.0) -> None:
    """Block until a hosted server exits (then raise :class:`ServingError`).

    SIGTERM and Ctrl-C end the wait with SystemExit / KeyboardInterrupt, after which the
    caller's ``with`` block stops the servers.
    """
    while True:
        for server in servers:
            process = server.process
            code = process.exit_code() if process is not None else None
            if code is not None and process is not None:
                raise ServingError(
                    f"server on {server.slot_name} exited with status {code}; "
                    f"last lines of {process.log_path}:\n{process.log_tail(20)}"
                )
        time.sleep(poll_s)
