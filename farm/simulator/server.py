"""Running the simulator: in a thread, in a child process, or in the foreground.

``running_simulator(cases, config)`` starts the real HTTP server and yields a handle with
``base_url``. With ``config.subprocess`` the server runs in a child process
(``python -m farm.simulator``) that reads the cases from a JSON file, so its CPU time does not
compete with the caller's event loop under the GIL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from farm.errors import ConfigError, ServingError
from farm.simulator.app import Simulator, make_app
from farm.simulator.config import SimulatorConfig
from farm.suites.case import Case

__all__ = [
    "SimulatorConfig",
    "SimulatorHandle",
    "cases_from_json",
    "cases_to_json",
    "running_simulator",
    "serve",
]


def cases_to_json(cases: Sequence[Case], suite_extra: Mapping[str, Any] | None = None) -> str:
    """Cases (and the suite's extra data) as JSON, for a child process or a file."""
    # The fields as they are: ``dataclasses.asdict`` would deep-copy every case's JSON first.
    names = [f.name for f in dataclasses.fields(Case)]
    return json.dumps(
        {
            "cases": [{name: getattr(case, name) for name in names} for case in cases],
            "suite_extra": suite_extra or {},
        }
    )


def cases_from_json(text: str) -> tuple[list[Case], dict[str, Any]]:
    """Cases and suite extra from :func:`cases_to_json` output (or a plain list of cases).

    Raises:
        ConfigError: if the text has neither shape.
    """
    try:
        data = json.loads(text)
        if isinstance(data, list):
            data = {"cases": data}
        return [Case(**item) for item in data["cases"]], dict(data.get("suite_extra") or {})
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"not a JSON document of cases: {exc!r}") from exc


@dataclasses.dataclass
class SimulatorHandle:
    """A running simulator: its URL and the means to stop it."""

    host: str
    port: int
    simulator: Simulator | None = None
    _stop: Callable[[], None] | None = None
    _kill: Callable[[], None] | None = None

    @property
    def base_url(self) -> str:
        """The API root, ``http://HOST:PORT/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    def stop(self) -> None:
        """Shut the server down (idempotent)."""
        if self._stop is not None:
            stop, self._stop = self._stop, None
            stop()

    def kill(self) -> None:
        """Stop abruptly, as a crashed server would (connections are reset)."""
        if self._kill is not None:
            self._kill()
        self.stop()


async def _start_site(sim: Simulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    # A closed connection cancels its request, as vLLM aborts it; shutdown does not wait
    # for hanging requests.
    runner = web.AppRunner(
        make_app(sim),
        access_log=None,
        handle_signals=False,
        handler_cancellation=True,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ServingError(f"simulator cannot listen on {host}:{port}: {exc.strerror}") from exc
    server = site._server
    assert server is not None
    sockets = getattr(server, "sockets", None) or []
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    return runner, bound


@contextmanager
def _in_thread(
    cases: Sequence[Case], config: SimulatorConfig, suite_extra: Mapping[str, Any] | None
) -> Iterator[SimulatorHandle]:
    sim = Simulator(cases, config, suite_extra)
    loop = asyncio.new_event_loop()
    ready: dict[str, Any] = {}
    started = threading.Event()
    stop_event: asyncio.Event | None = None

    async def main() -> None:
        nonlocal stop_event
        stop_event = asyncio.Event()
        try:
            runner, ready["port"] = await _start_site(sim, config.host, config.port)
        except ServingError as exc:
            ready["error"] = exc
            started.set()
            return
        ready["runner"] = runner
        started.set()
        await stop_event.wait()
        await runner.shutdown()
        await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(30)
    if "error" in ready:
        raise ready["error"]

    def stop() -> None:
        if stop_event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop_event.set)
        thread.join(10)

    def kill() -> None:
        runner: web.AppRunner = ready["runner"]
        server = runner.server
        if server is not None:
            for conn in list(getattr(server, "connections", [])):
                loop.call_soon_threadsafe(conn.force_close)

    handle = SimulatorHandle(config.host, ready["port"], sim, stop, kill)
    try:
        yield handle
    finally:
        handle.stop()


@contextmanager
def _in_subprocess(
    cases: Sequence[Case], config: SimulatorConfig, suite_extra: Mapping[str, Any] | None
) -> Iterator[SimulatorHandle]:
    with tempfile.TemporaryDirectory(prefix="farm-sim-") as tmp:
        cases_file = Path(tmp) / "cases.json"
        cases_file.write_text(cases_to_json(cases, suite_extra), encoding="utf-8")
        ready_file = Path(tmp) / "port"
        command = [
            sys.executable,
            "-m",
            "farm.simulator",
            "--cases-file",
            str(cases_file),
            "--config-json",
            config.model_copy(update={"subprocess": False}).model_dump_json(),
            "--ready-file",
            str(ready_file),
        ]
        log = (Path(tmp) / "server.log").open("w+b")
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            port = _wait_ready(proc, ready_file, log, " ".join(command[:3]))

            def stop() -> None:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()

            def kill() -> None:
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()

            handle = SimulatorHandle(config.host, port, None, stop, kill)
            yield handle
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()


def _wait_ready(proc: subprocess.Popen[bytes], ready_file: Path, log: Any, what: str) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready_file.is_file() and ready_file.read_text().strip():
            return int(ready_file.read_text().strip())
        if proc.poll() is not None:
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise ServingError(f"simulator ({what}) exited with {proc.returncode}: {tail[0]}")
        time.sleep(0.02)
    proc.kill()
    raise ServingError(f"simulator ({what}) did not start within 60 s")


@contextmanager
def running_simulator(
    cases: Sequence[Case],
    config: SimulatorConfig | None = None,
    *,
    suite_extra: Mapping[str, Any] | None = None,
) -> Iterator[SimulatorHandle]:
    """Run the simulator while the block runs; yields a handle with ``base_url``.

    ``suite_extra`` is the suite row's ``extra`` (multi-turn sources), for the multi-turn
    hook. With ``config.subprocess`` the cases travel to the child in a temporary file.

    Raises:
        ServingError: if the server cannot listen or does not start.
    """
    config = config or SimulatorConfig()
    runner = _in_subprocess if config.subprocess else _in_thread
    with runner(cases, config, suite_extra) as handle:
        yield handle


def serve(
    cases: Sequence[Case],
    config: SimulatorConfig,
    *,
    suite_extra: Mapping[str, Any] | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Serve in the foreground until SIGINT or SIGTERM; ``ready(port)`` once listening."""
    sim = Simulator(cases, config, suite_extra)

    async def main() -> None:
        runner, port = await _start_site(sim, config.host, config.port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if ready is not None:
            ready(port)
        await stop.wait()
        await runner.shutdown()
        await runner.cleanup()

    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.run(main())
    except ModuleNotFoundError:
        asyncio.run(main())
