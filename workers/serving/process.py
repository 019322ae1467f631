"""Process mechanics of a hosted model server: spawn, log, stop the whole group, reap leftovers.

A server is started in a new session (``start_new_session=True``), so it and every process
it spawns (vLLM's ``EngineCore`` and tensor-parallel workers) share one process group that
can be signalled as a unit. Stopping sends SIGTERM to the group, waits, then SIGKILLs what is
left. A pidfile per GPU slot records the group so that a worker killed with SIGKILL (which
skips every cleanup handler) has its server reaped on the next start of that slot.

Every process of a launch carries ``FARM_SERVING_NONCE=<nonce>`` in its environment; reaping
checks it, so a recycled process-group id never gets someone else's processes killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from farm.errors import ServingError

#: Environment variable that marks every process of one launch.
NONCE_ENV = "FARM_SERVING_NONCE"

_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ")".
    return raw[raw.rfind(")") + 2 :].split()


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of ``pid`` from /proc, or None when it is gone."""
    fields = _stat_fields(pid)
    return (fields[0], int(fields[2])) if fields else None


def process_identity(pid: int) -> str:
    """``pid:start-time``, naming a process even after its pid is reused.

    Where /proc is missing, the pid alone.
    """
    fields = _stat_fields(pid)
    return f"{pid}:{fields[19]}" if fields else str(pid)


def identity_alive(identity: str) -> bool:
    """Whether the process that :func:`process_identity` named still runs (not a zombie)."""
    if not identity:
        return False
    pid = int(identity.split(":", 1)[0])
    fields = _stat_fields(pid)
    if fields is None:
        if _PROC.is_dir():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return fields[0] != "Z" and process_identity(pid) == identity


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group ``pgid``.

    Uses /proc where there is one; elsewhere falls back to ``killpg(pgid, 0)``, which also
    counts zombies.
    """
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            return [pgid]
        return [pgid]
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None and stat[1] == pgid and stat[0] != "Z":
            members.append(int(entry.name))
    return members


def carries_nonce(pid: int, nonce: str) -> bool:
    """Whether process ``pid`` was started by the launch that ``nonce`` names."""
    try:
        environ = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"{NONCE_ENV}={nonce}".encode() in environ.split(b"\0")


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_group_empty(pgid: int, deadline: float, leader: subprocess.Popen[bytes] | None) -> bool:
    """Wait until the group has no live member or ``deadline`` passes; reap the leader."""
    while True:
        if leader is not None:
            leader.poll()
        if not group_members(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def terminate_group(
    pgid: int, *, grace: float, leader: subprocess.Popen[bytes] | None = None
) -> bool:
    """SIGTERM the group, wait up to ``grace`` seconds, then SIGKILL whatever is left.

    Returns True when the group ended on SIGTERM alone, False when SIGKILL was needed.
    Raises :class:`ServingError` if processes survive even SIGKILL (uninterruptible sleep).
    """
    _signal_group(pgid, signal.SIGTERM)
    if _wait_group_empty(pgid, time.monotonic() + grace, leader):
        return True
    _signal_group(pgid, signal.SIGKILL)
    if _wait_group_empty(pgid, time.monotonic() + 10.0, leader):
        return False
    left = ", ".join(str(pid) for pid in group_members(pgid))
    raise ServingError(f"processes {left} of server group {pgid} survive SIGKILL")


@dataclass(frozen=True)
class LaunchRecord:
    """What a pidfile holds about one running server."""

    pid: int
    pgid: int
    port: int
    nonce: str
    model: str
    command: list[str]
    log_path: str
    started_at: float
    owner: str = ""
    devices: list[str] = field(default_factory=list)


def write_pidfile(path: Path, record: LaunchRecord) -> None:
    """Write ``record`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(path)


def read_pidfile(path: Path) -> LaunchRecord | None:
    """The record in ``path``, or None when there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text())
        return LaunchRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def reap_stale(path: Path, *, grace: float = 30.0) -> LaunchRecord | None:
    """Stop a server left behind by a previous launch recorded in pidfile ``path``.

    Only processes of the recorded group that carry the recorded launch nonce are
    signalled. The pidfile is removed. Returns the record of the server that was reaped,
    or None when nothing was left running.

    Raises:
        ServingError: when the worker that launched it still runs (the slot is in use).
    """
    record = read_pidfile(path)
    if record is None:
        path.unlink(missing_ok=True)
        return None
    me = process_identity(os.getpid())
    if record.owner and record.owner != me and identity_alive(record.owner):
        raise ServingError(
            f"GPU slot {path.stem} is in use: worker pid {record.owner.split(':')[0]} runs "
            f"its server (pid {record.pid}, port {record.port}); stop that worker first"
        )
    ours = [pid for pid in group_members(record.pgid) if carries_nonce(pid, record.nonce)]
    if ours:
        terminate_group(record.pgid, grace=grace)
    path.unlink(missing_ok=True)
    return record if ours else None


#: Flags whose value is a secret: never written to a log, a pidfile or an error.
SECRET_FLAGS = ("--api-key", "--hf-token")


def redacted(command: Sequence[str]) -> list[str]:
    """``command`` with the values of :data:`SECRET_FLAGS` replaced by ``***``."""
    out: list[str] = []
    hide_next = False
    for arg in command:
        if hide_next:
            out.append("***")
            hide_next = False
        elif arg in SECRET_FLAGS:
            out.append(arg)
            hide_next = True
        elif arg.split("=", 1)[0] in SECRET_FLAGS and "=" in arg:
            out.append(arg.split("=", 1)[0] + "=***")
        else:
            out.append(arg)
    return out


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a text file ('' when it cannot be read)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


class ServerProcess:
    """One spawned server: its process, its group, its log file."""

    def __init__(
        self, popen: subprocess.Popen[bytes], command: Sequence[str], log_path: Path, log: IO[bytes]
    ) -> None:
        self._popen = popen
        self._log = log
        self.command = list(command)
        self.log_path = log_path
        self.pid = popen.pid
        self.pgid = popen.pid  # a new session makes the child its own group leader

    @classmethod
    def spawn(
        cls,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        nonce: str,
        cwd: Path | None = None,
    ) -> ServerProcess:
        """Start ``command`` in a new session with stdout and stderr going to ``log_path``."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
        log.write(f"$ {subprocess.list2cmdline(redacted(command))}\n".encode())
        log.flush()
        try:
            popen = subprocess.Popen(  # noqa: S603 - the command is built by the farm
                list(command),
                env={**env, NONCE_ENV: nonce},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            log.close()
            raise ServingError(
                f"cannot start server {subprocess.list2cmdline(redacted(command))}: {exc}"
            ) from exc
        return cls(popen, command, log_path, log)

    @property
    def command_line(self) -> str:
        """The launch command as one shell-quoted line, secrets masked."""
        return subprocess.list2cmdline(redacted(self.command))

    def exit_code(self) -> int | None:
        """The leader's exit status, or None while it runs."""
        return self._popen.poll()

    def alive(self) -> bool:
        """Whether the leader process still runs."""
        return self._popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        self._log.flush()
        return tail(self.log_path, lines)

    def stop(self, *, grace: float = 30.0) -> bool:
        """Stop the whole process group (TERM, wait ``grace``, KILL) and close the log.

        Returns True when SIGTERM was enough. Safe to call more than once.
        """
        try:
            return terminate_group(self.pgid, grace=grace, leader=self._popen)
        finally:
            self._popen.poll()
            self._log.close()
