"""``farm worker``: bring up the endpoint, then consume the model's queue until stopped."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from farm.broker import queue_name
from farm.config import Settings
from farm.errors import ConfigError
from workers.endpoint import (
    EndpointOptions,
    Endpoints,
    open_endpoint,
    with_endpoints,
    worker_model,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """Options of one worker process.

    Attributes:
        model: the model name whose queue the worker consumes.
        endpoint: where the endpoint comes from (see :mod:`workers.endpoint`).
        concurrency: requests in flight to the endpoint (default: the model's).
        shards: shards executed at once (2 overlaps one shard's tail with the next).
        name: the worker's node name (default ``farm-<model>-<pid>@<host>``).
        loglevel: Celery's log level.
        strict: refuse to start when the endpoint's start-up probe finds a problem.
    """

    model: str
    endpoint: EndpointOptions
    concurrency: int | None = None
    shards: int = 2
    name: str | None = None
    loglevel: str = "WARNING"
    strict: bool = False


def run_worker(settings: Settings, options: WorkerOptions) -> int:
    """Run a worker until it is stopped (SIGTERM/SIGINT); returns its exit code.

    Raises:
        ConfigError: for a bad model, endpoint or option.
    """
    from farm.endpoints.preflight import check_model_endpoints
    from farm.endpoints.probe import startup_check
    from workers.app import make_celery
    from workers.runtime import WorkerRuntime, default_worker_name

    if options.shards < 1:
        raise ConfigError("--shards must be at least 1")
    spec = worker_model(settings, options.model, options.endpoint)
    if options.concurrency is not None:
        if options.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        spec = spec.model_copy(update={"max_concurrency": options.concurrency})
    app = make_celery(settings)
    queue = queue_name(spec.key)
    name = options.name or default_worker_name(spec.key)
    with open_endpoint(settings, spec, options.endpoint) as urls:
        spec = with_endpoints(spec, urls) if urls else spec
        check_model_endpoints(spec, settings)  # fail fast: one line, before taking shards
        for warning in startup_check(spec, strict=options.strict):
            print(f"warning: {warning}", file=sys.stderr, flush=True)
        runtime = WorkerRuntime(
            settings, spec, name, endpoints=urls if isinstance(urls, Endpoints) else None
        )
        runtime.start()
        app.farm_runtime = runtime
        where = ", ".join(urls) or spec.backend
        print(
            f"farm worker {name}: model {spec.key} ({spec.mode}) at {where}, "
            f"queue {queue}, {spec.max_concurrency} requests in flight",
            file=sys.stderr,
            flush=True,
        )
        try:
            worker = app.Worker(
                hostname=name,
                queues=[queue],
                pool="threads",
                # Hosted replicas share one pool: keep `shards` shards per replica in flight.
                concurrency=options.shards * max(1, len(urls)),
                loglevel=options.loglevel,
                quiet=True,
                without_gossip=True,
                without_mingle=True,
                without_heartbeat=True,
                optimization="fair",
            )
            worker.start()
            if runtime.fatal is not None:  # one line, naming the log file of a dead server
                raise runtime.fatal
            return int(worker.exitcode or 0)
        finally:
            runtime.close()
