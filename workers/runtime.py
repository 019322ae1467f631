"""What a worker process owns while it runs: the asyncio loop, the endpoint pool, the engine.

Celery's threads pool runs each shard task in a thread; the task hands its shard to the one
event loop of the process, so that every shard shares one endpoint pool and its limit
(concurrency lives in the client, sized to the endpoint, not in Celery's pool). A sweeper
thread re-enqueues shards whose lease expired.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import signal
import socket
import threading
from concurrent.futures import Future
from typing import Any

from farm.config import Settings
from farm.db.engine import make_engine
from farm.errors import EndpointDead, FarmError, ServingError
from farm.failures import Breaker, heartbeat_seconds, sweep_seconds
from farm.models.registry import ModelSpec
from farm.shards import ShardEnv, ShardOutcome, execute_shard
from farm.shardspec import ShardSpec
from workers.endpoint import Endpoints

log = logging.getLogger(__name__)

#: Seconds between checks that the worker's hosted servers are alive.
ALIVE_POLL_SECONDS = 0.25


class EndpointLost(ServingError):
    """The worker's endpoint is gone or serves another model: it takes no more shards."""


def default_worker_name(model_key: str) -> str:
    """``farm-<model>-<pid>@<host>``: unique per process, readable in leases and results."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in model_key)
    return f"farm-{safe}-{os.getpid()}@{socket.gethostname()}"


class WorkerRuntime:
    """The event loop thread, endpoint pool, database engine and sweeper of one worker.

    When the endpoint fails its checks (a hosted server died, an attached one now serves
    another model) the runtime becomes *fatal*: running shards are stopped (their finished
    results kept, the rest left for redelivery), every later shard is refused, and the
    process is asked to stop (SIGTERM, Celery's warm shutdown); :attr:`fatal` says why.

    Args:
        settings: the worker's settings.
        spec: the model with the endpoints the worker talks to.
        name: the worker's name (lease owner).
        sweep: whether to run the periodic sweep of expired leases.
        endpoints: the worker's endpoints with their checks (see :class:`Endpoints`).
    """

    def __init__(
        self,
        settings: Settings,
        spec: ModelSpec,
        name: str,
        *,
        sweep: bool = True,
        endpoints: Endpoints | None = None,
    ):
        self.endpoints = endpoints
        self.fatal: ServingError | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._watcher: threading.Thread | None = None
        self.settings = settings
        self.spec = spec
        self.name = name
        self.engine = make_engine(settings)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="farm-loop", daemon=True
        )
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._sweep = sweep
        self._pool: Any = None
        self.env: ShardEnv | None = None

    def start(self) -> None:
        """Start the loop, open the endpoint pool, start the sweeper."""
        from farm.endpoints.pool import EndpointPool

        self._thread.start()

        async def _open() -> Any:
            return await EndpointPool(self.spec, self.settings).__aenter__()

        self._pool = self._submit(_open()).result(timeout=60)
        self.env = ShardEnv(
            engine=self.engine,
            spec=self.spec,
            pool=self._pool,
            worker=self.name,
            lease_seconds=self.settings.lease_seconds,
            poll_seconds=heartbeat_seconds(self.settings.lease_seconds),
            breaker=Breaker(on_trip=self._endpoint_dead),
        )
        if self._sweep:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="farm-sweep", daemon=True
            )
            self._sweeper.start()
        if self.endpoints is not None and self.endpoints.alive is not None:
            self._watcher = threading.Thread(
                target=self._alive_loop, name="farm-alive", daemon=True
            )
            self._watcher.start()

    def run_shard(self, shard: ShardSpec) -> ShardOutcome:
        """Execute a shard on the process's loop and wait for it (called from task threads).

        Raises:
            EndpointLost: when the endpoint failed its checks (before or during the shard);
                the shard's unfinished cases are left for another worker.
        """
        if self.env is None:
            raise RuntimeError("worker runtime used before start()")
        if self.fatal is None and self.endpoints is not None and self.endpoints.verify:
            try:
                self.endpoints.verify()
            except ServingError as exc:
                self.fail(exc)
        if self.fatal is not None:
            raise EndpointLost(self.fatal.message)
        try:
            outcome: ShardOutcome = self._submit(self._guarded(shard)).result()
        except concurrent.futures.CancelledError:
            if self.fatal is not None:
                raise EndpointLost(self.fatal.message) from None
            raise
        return outcome

    def _endpoint_dead(self, error: EndpointDead) -> None:
        self.fail(ServingError(error.message))

    def fail(self, error: ServingError) -> None:
        """Become fatal: stop running shards, refuse new ones, ask the process to stop."""
        if self.fatal is not None:
            return
        self.fatal = error
        log.error("%s: this worker stops; its shards go back to the queue", error.message)

        def cancel_all() -> None:
            for task in list(self._running):
                task.cancel()

        if self._loop.is_running():
            self._loop.call_soon_threadsafe(cancel_all)
        os.kill(os.getpid(), signal.SIGTERM)

    async def _guarded(self, shard: ShardSpec) -> ShardOutcome:
        assert self.env is not None
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            return await execute_shard(self.env, shard)
        finally:
            self._running.discard(task)

    def _alive_loop(self) -> None:
        assert self.endpoints is not None and self.endpoints.alive is not None
        while not self._stop.wait(ALIVE_POLL_SECONDS):
            try:
                self.endpoints.alive()
            except ServingError as exc:
                self.fail(exc)
                return

    def close(self) -> None:
        """Stop the sweeper, close the pool, stop the loop, dispose of the engine."""
        self._stop.set()
        if self._pool is not None and self._loop.is_running():
            try:
                if self.env is not None:
                    self._submit(self.env.aclose()).result(timeout=10)
                self._submit(self._pool.aclose()).result(timeout=10)
            except Exception:  # noqa: BLE001  closing is best effort at shutdown
                log.warning("closing the endpoint pool failed", exc_info=True)
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self.engine.dispose()

    def _submit(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _sweep_loop(self) -> None:
        from farm.runs import sweep

        interval = sweep_seconds(self.settings.lease_seconds)
        while not self._stop.wait(interval):
            try:
                report = sweep(self.settings, self.engine)
                if report.requeued:
                    log.warning("sweep re-enqueued %d shard(s)", report.requeued)
            except FarmError as exc:
                log.warning("sweep failed: %s", exc)
