"""What a worker process owns while it runs: the asyncio loop, the endpoint pool, the engine.

Celery's threads pool runs each shard task in a thread; the task hands its shard to the one
event loop of the process, so that every shard shares one endpoint pool and its limit
(concurrency lives in the client, sized to the endpoint, not in Celery's pool). A sweeper
thread re-enqueues shards whose lease expired.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from concurrent.futures import Future
from typing import Any

from farm.config import Settings
from farm.db.engine import make_engine
from farm.errors import FarmError
from farm.models.registry import ModelSpec
from farm.shards import ShardEnv, ShardOutcome, ShardSpec, execute_shard

log = logging.getLogger(__name__)


def default_worker_name(model_key: str) -> str:
    """``farm-<model>-<pid>@<host>``: unique per process, readable in leases and results."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in model_key)
    return f"farm-{safe}-{os.getpid()}@{socket.gethostname()}"


class WorkerRuntime:
    """The event loop thread, endpoint pool, database engine and sweeper of one worker.

    Args:
        settings: the worker's settings.
        spec: the model with the endpoints the worker talks to.
        name: the worker's name (lease owner).
        sweep: whether to run the periodic sweep of expired leases.
    """

    def __init__(self, settings: Settings, spec: ModelSpec, name: str, *, sweep: bool = True):
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
            poll_seconds=min(2.0, self.settings.lease_seconds / 4),
        )
        if self._sweep:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="farm-sweep", daemon=True
            )
            self._sweeper.start()

    def run_shard(self, shard: ShardSpec) -> ShardOutcome:
        """Execute a shard on the process's loop and wait for it (called from task threads)."""
        if self.env is None:
            raise RuntimeError("worker runtime used before start()")
        outcome: ShardOutcome = self._submit(execute_shard(self.env, shard)).result()
        return outcome

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

        interval = max(2.0, self.settings.lease_seconds / 4)
        while not self._stop.wait(interval):
            try:
                report = sweep(self.settings, self.engine)
                if report.requeued:
                    log.warning("sweep re-enqueued %d shard(s)", report.requeued)
            except FarmError as exc:
                log.warning("sweep failed: %s", exc)
