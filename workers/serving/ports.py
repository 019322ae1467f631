"""Ports for hosted servers, handed out under a file lock so two launches never share one.

vLLM binds its socket with ``SO_REUSEPORT``: a second server on a busy port starts fine and
the kernel splits connections between the two. So a port is never chosen by "bind port 0
and hope": every launch on a host takes its port from one reservation table
(``ports.json`` next to ``ports.lock`` in the serving run directory), guarded by ``flock``,
and a port that something already listens on is refused outright.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from farm.errors import ServingError


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on ``port`` or the port cannot be bound on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise ServingError(f"cannot bind {host}:{port}: {exc}") from exc
    return False


@contextmanager
def _locked_table(run_dir: Path) -> Iterator[dict[str, dict[str, object]]]:
    """The reservation table, locked for the duration of the block and saved after it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    table_path = run_dir / "ports.json"
    with (run_dir / "ports.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                table = json.loads(table_path.read_text())
            except (OSError, ValueError):
                table = {}
            if not isinstance(table, dict):
                table = {}
            yield table
            tmp = table_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(table, indent=2, sort_keys=True))
            tmp.replace(table_path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class PortLease:
    """A port reserved for one server; :meth:`release` gives it back."""

    def __init__(self, run_dir: Path, port: int) -> None:
        self.run_dir = run_dir
        self.port = port
        self._released = False

    def release(self) -> None:
        """Remove the reservation (idempotent)."""
        if self._released:
            return
        with _locked_table(self.run_dir) as table:
            entry = table.get(str(self.port))
            if entry is not None and entry.get("pid") == os.getpid():
                del table[str(self.port)]
        self._released = True

    def __repr__(self) -> str:
        return f"PortLease(port={self.port})"


def reserve_port(
    run_dir: Path, *, owner: str, host: str = "127.0.0.1", port: int | None = None
) -> PortLease:
    """Reserve ``port`` (or a free one) for a server that ``owner`` names.

    Raises :class:`ServingError` when the requested port is reserved by another live
    launch or already has a listener.
    """
    with _locked_table(run_dir) as table:
        for key in [k for k, v in table.items() if not _pid_alive(int(str(v.get("pid", 0))))]:
            del table[key]
        if port is not None:
            holder = table.get(str(port))
            if holder is not None:
                raise ServingError(
                    f"port {port} is reserved by {holder.get('owner')} (pid {holder.get('pid')})"
                )
            if port_in_use(port, host):
                raise ServingError(
                    f"port {port} is already in use by another process; choose another port "
                    "or leave it unset to get a free one"
                )
            chosen = port
        else:
            chosen = _free_port(host, taken={int(k) for k in table})
        table[str(chosen)] = {"pid": os.getpid(), "owner": owner, "at": time.time()}
    return PortLease(run_dir, chosen)


def _free_port(host: str, *, taken: set[int]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            candidate = int(sock.getsockname()[1])
        if candidate not in taken and not port_in_use(candidate, host):
            return candidate
    raise ServingError(f"no free port found on {host}")
