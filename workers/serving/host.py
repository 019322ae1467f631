"""One class that hosts a model server or attaches to one: :class:`ModelServer`.

Given a ``base_url`` it attaches: it checks the endpoint answers (and serves the expected
name) and never stops it. Otherwise it hosts: reaps what a previous launch left on the same
GPU slot, reserves a port under a lock, spawns the backend's server with the slot's
``CUDA_VISIBLE_DEVICES`` and a per-launch nonce alias, waits until ready, and stops the
whole process group on :meth:`ModelServer.stop`. The handle lives on this object, owned by
the worker's main process; nothing is kept in module globals or written to ``os.environ``.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from farm.errors import FarmError
from workers.gpus import GpuSlot, gpu_processes
from workers.serving.backend import get_backend
from workers.serving.ports import PortLease, reserve_port
from workers.serving.process import (
    LaunchRecord,
    ServerProcess,
    identity_alive,
    process_identity,
    read_pidfile,
    reap_stale,
    redacted,
    write_pidfile,
)
from workers.serving.readiness import check_attached, wait_until_ready
from workers.serving.spec import LaunchSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostOptions:
    """How a worker hosts its server.

    Attributes:
        run_dir: pidfiles, port table and server logs (``$FARM_HOME/run/serving``).
        backend: ``vllm`` or ``sglang``.
        host: the address the server binds (``0.0.0.0`` to let other hosts attach).
        port: a fixed port, or None for a free one.
        launcher: command prefix replacing the backend's module entry point, e.g.
            ``("vllm", "serve")`` or a wrapper script.
        ready_timeout: seconds allowed from spawn to ready.
        stop_grace: seconds between SIGTERM and SIGKILL on stop.
        warmup: send one warm-up request as the last readiness step.
        api_key: bearer key the server requires (passed to readiness checks only).
        env: extra variables for the server's environment.
    """

    run_dir: Path
    backend: str = "vllm"
    host: str = "127.0.0.1"
    port: int | None = None
    launcher: tuple[str, ...] | None = None
    ready_timeout: float = 1800.0
    stop_grace: float = 30.0
    warmup: bool = True
    api_key: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


class ModelServer:
    """A model server this worker hosts, or one it attaches to.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        launch: LaunchSpec | None = None,
        *,
        options: HostOptions | None = None,
        slot: GpuSlot | None = None,
        base_url: str | None = None,
        served_name: str | None = None,
    ) -> None:
        if base_url is None and (launch is None or options is None):
            raise FarmError("ModelServer needs a base_url to attach, or launch and options")
        self.launch = launch
        self.options = options
        self.slot = slot
        self.served_name = served_name or (launch.served_name if launch else None)
        self._attach_url = base_url
        self.base_url: str | None = base_url
        self.nonce = uuid.uuid4().hex[:12]
        self.process: ServerProcess | None = None
        self.ready_seconds: float | None = None
        self._lease: PortLease | None = None
        self._pidfile: Path | None = None
        self._cancel = threading.Event()
        self.kv_cache_tokens: int | None = None
        self.max_concurrency: float | None = None

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so may stop it)."""
        return self._attach_url is None

    @property
    def nonce_name(self) -> str:
        """The per-launch alias the server is asked to serve besides its name."""
        return f"farm-{self.nonce}"

    @property
    def slot_name(self) -> str:
        """The slot's name (``gpu0``...), or ``host`` without GPUs."""
        return self.slot.name if self.slot else "host"

    def start(self) -> str:
        """Attach or launch; return the base URL (``http://host:port/v1``) once ready."""
        if not self.owned:
            assert self._attach_url is not None
            check_attached(
                self._attach_url,
                served_name=self.served_name,
                api_key=self.options.api_key if self.options else None,
            )
            return self._attach_url
        if self.process is not None:
            assert self.base_url is not None
            return self.base_url
        return self._launch()

    def _launch(self) -> str:
        assert self.launch is not None and self.options is not None
        opts, launch = self.options, self.launch
        backend = get_backend(opts.backend)
        self._pidfile = opts.run_dir / "slots" / f"{self.slot_name}.json"
        self._reap_leftovers(opts.stop_grace)
        busy = gpu_processes(self.slot.devices) if self.slot else []
        if busy:
            log.warning("GPU %s is already in use: %s", self.slot_name, ", ".join(busy))
        owner = f"{launch.served_name}@{self.slot_name}"
        self._lease = reserve_port(opts.run_dir, owner=owner, host=opts.host, port=opts.port)
        port = self._lease.port
        command = backend.command(
            launch, nonce_name=self.nonce_name, host=opts.host, port=port, launcher=opts.launcher
        )
        devices = self.slot.devices if self.slot else None
        env = dict(os.environ)
        env.update(backend.environment(launch, devices=devices, ready_timeout=opts.ready_timeout))
        env.update(opts.env)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        log_path = opts.run_dir / "logs" / f"{self.slot_name}-{stamp}-{self.nonce}.log"
        prune_logs(log_path.parent, self.slot_name)
        try:
            self.process = ServerProcess.spawn(
                command, env=env, log_path=log_path, nonce=self.nonce
            )
        except FarmError:
            self._lease.release()
            raise
        write_pidfile(
            self._pidfile,
            LaunchRecord(
                pid=self.process.pid,
                pgid=self.process.pgid,
                port=port,
                nonce=self.nonce,
                model=launch.model,
                command=redacted(command),
                log_path=str(log_path),
                started_at=time.time(),
                owner=process_identity(os.getpid()),
                devices=[str(d) for d in devices or ()],
            ),
        )
        atexit.register(self.stop)
        self.base_url = f"http://{_connect_host(opts.host)}:{port}/v1"
        what = f"{backend.name} server for {launch.served_name} on {self.slot_name}"
        try:
            self.ready_seconds = wait_until_ready(
                self.process,
                base_url=self.base_url,
                names=backend.served_names(launch, self.nonce_name),
                deadline_s=opts.ready_timeout,
                what=what,
                api_key=opts.api_key,
                warmup=opts.warmup,
                cancel=self._cancel,
                max_model_len=launch.max_model_len,
            )
        except BaseException:
            self.stop(grace=min(opts.stop_grace, 10.0))
            raise
        self.kv_cache_tokens, self.max_concurrency = startup_capacity(self.process.log_tail(400))
        log.info(
            "%s ready in %.1f s at %s (KV cache %s tokens, max concurrency %s)",
            what,
            self.ready_seconds,
            self.base_url,
            self.kv_cache_tokens,
            self.max_concurrency,
        )
        return self.base_url

    def _reap_leftovers(self, grace: float) -> None:
        """Stop servers whose worker died: this slot's, and any on the same GPUs."""
        assert self._pidfile is not None
        mine = {str(d) for d in self.slot.devices} if self.slot else set()
        for path in sorted(self._pidfile.parent.glob("*.json")):
            if path != self._pidfile:
                record = read_pidfile(path)
                if record is None or not mine & set(record.devices):
                    continue
                if identity_alive(record.owner):
                    continue  # a live worker shares these GPUs (--replicas-per-gpu)
            reaped = reap_stale(path, grace=grace)
            if reaped is not None:
                log.warning("reaped a leftover server on %s (pid %s)", path.stem, reaped.pid)

    @property
    def public_url(self) -> str | None:
        """The URL other hosts use (the host name instead of a wildcard address)."""
        if self.base_url is None or not self.owned or self.options is None:
            return self.base_url
        if self.options.host in ("0.0.0.0", "", "::"):
            assert self._lease is not None
            return f"http://{socket.getfqdn()}:{self._lease.port}/v1"
        return self.base_url

    def cancel(self) -> None:
        """Abandon a startup in progress (another thread is in :meth:`start`)."""
        self._cancel.set()

    def stop(self, *, grace: float | None = None) -> None:
        """Stop a hosted server's whole process group; do nothing for an attached one."""
        if not self.owned:
            return
        atexit.unregister(self.stop)
        process, self.process = self.process, None
        try:
            if process is not None:
                assert self.options is not None
                clean = process.stop(grace=self.options.stop_grace if grace is None else grace)
                if not clean:
                    log.warning("server on %s needed SIGKILL", self.slot_name)
                left = gpu_processes(self.slot.devices) if self.slot else []
                if left:
                    log.warning(
                        "GPU %s still has processes after the server stopped: %s",
                        self.slot_name,
                        ", ".join(left),
                    )
        finally:
            if self._lease is not None:
                self._lease.release()
                self._lease = None
            if self._pidfile is not None:
                self._pidfile.unlink(missing_ok=True)

    def __enter__(self) -> ModelServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


#: Server logs kept per slot; older ones are deleted at the next launch on that slot.
KEEP_LOGS = 20


def prune_logs(log_dir: Path, slot_name: str, keep: int = KEEP_LOGS) -> None:
    """Delete all but the newest ``keep - 1`` logs of ``slot_name`` (a new one follows)."""
    if not log_dir.is_dir():
        return
    pattern = re.compile(rf"{re.escape(slot_name)}-\d{{8}}-\d{{6}}-[0-9a-f]+\.log")
    logs = [p for p in log_dir.glob(f"{slot_name}-*.log") if pattern.fullmatch(p.name)]
    logs.sort(key=lambda p: p.stat().st_mtime)
    for old in logs[: max(0, len(logs) - (keep - 1))]:
        old.unlink(missing_ok=True)


_KV_TOKENS = re.compile(r"GPU KV cache size: ([\d,]+) tokens")
_CONCURRENCY = re.compile(r"Maximum concurrency for [\d,]+ tokens per request: ([\d.]+)x")


def startup_capacity(log_text: str) -> tuple[int | None, float | None]:
    """KV-cache tokens and maximum concurrency that vLLM prints at startup (None if absent).

    The lines are "GPU KV cache size: N tokens" and "Maximum concurrency for L tokens per
    request: Xx"; the last occurrence wins.
    """
    tokens = _KV_TOKENS.findall(log_text)
    concurrency = _CONCURRENCY.findall(log_text)
    return (
        int(tokens[-1].replace(",", "")) if tokens else None,
        float(concurrency[-1]) if concurrency else None,
    )


def _connect_host(bind_host: str) -> str:
    return "127.0.0.1" if bind_host in ("0.0.0.0", "", "::", "localhost") else bind_host


def share_memory(launch: LaunchSpec, slot: GpuSlot) -> LaunchSpec:
    """Divide the GPU memory fraction among replicas that share a GPU."""
    if slot.share <= 1:
        return launch
    fraction = round(min(launch.gpu_memory_utilization, 0.95) / slot.share, 3)
    return dataclasses.replace(launch, gpu_memory_utilization=fraction)


@contextmanager
def hosted_replicas(
    launch: LaunchSpec, slots: Sequence[GpuSlot], options: HostOptions
) -> Iterator[list[ModelServer]]:
    """Start one server per slot in parallel; stop them all on exit or on any failure.

    A fixed ``options.port`` is used by the first replica; the others take free ports.
    """
    servers = []
    for index, slot in enumerate(slots):
        opts = options if index == 0 else dataclasses.replace(options, port=None)
        servers.append(ModelServer(share_memory(launch, slot), options=opts, slot=slot))
    pool = ThreadPoolExecutor(max_workers=max(1, len(servers)), thread_name_prefix="serve")
    try:
        try:
            futures = [pool.submit(server.start) for server in servers]
            wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() for f in futures if f.done()):
                for server in servers:
                    server.cancel()
            errors = [f.exception() for f in futures]
        except BaseException:  # SIGTERM or Ctrl-C while the servers load
            for server in servers:
                server.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
        failed = [e for e in errors if e is not None and "startup cancelled" not in str(e)]
        if failed or any(errors):
            raise failed[0] if failed else next(e for e in errors if e is not None)
        yield servers
    finally:
        for server in servers:
            server.stop()
