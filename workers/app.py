"""The Celery application of the workers, built on demand from settings.

Settings for long, I/O-bound shard tasks (see DESIGN.md): late acks and reject-on-worker-lost
(a shard whose worker dies is delivered again; the shards table counts deliveries and gives
a poison shard up), prefetch 1, a Redis visibility timeout far above a shard's duration,
JSON only, no result backend (results live in the farm's tables), cancel the local copy of
a running task when the broker connection is lost (it is redelivered anyway), and a threads
pool whose tasks hand their shard to one asyncio loop per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery import Celery

from farm.broker import celery_config
from farm.config import Settings

if TYPE_CHECKING:
    from workers.runtime import WorkerRuntime


class FarmCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the worker process's runtime (loop, pool, engine)."""

    farm_runtime: WorkerRuntime | None = None


def worker_config(settings: Settings) -> dict[str, Any]:
    """The full worker configuration: the shared settings plus the worker-side ones."""
    return {
        **celery_config(settings),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_soft_shutdown_timeout": 30.0,
        "worker_enable_soft_shutdown_on_idle": False,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "broker_heartbeat": 0,
    }


def make_celery(settings: Settings) -> FarmCelery:
    """A Celery app for workers, with the shard task registered. No side effects on import."""
    from workers.tasks import register_tasks

    app = FarmCelery("farm", set_as_current=False)
    app.conf.update(worker_config(settings))
    register_tasks(app)
    return app
