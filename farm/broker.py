"""Celery configuration shared by the producer (``farm submit``) and the workers.

Both sides must agree on the broker's transport options (the key prefix that isolates
farms sharing one Redis, the visibility timeout), so they live here, in the control plane;
:func:`workers.app.make_celery` adds the worker-side settings on top. The producer sends
tasks by name and never imports :mod:`workers`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from farm.config import Settings
from farm.errors import BrokerError, ConfigError

#: Prefix of the per-model queues.
QUEUE_PREFIX = "farm.model."


def queue_name(model_key: str) -> str:
    """The queue that carries the shards of one model: ``farm.model.<model-key>``."""
    return QUEUE_PREFIX + re.sub(r"[^A-Za-z0-9_.:/@-]", "_", model_key)


def broker_url(settings: Settings) -> str:
    """The configured broker URL.

    Raises:
        ConfigError: when none is configured (the embedded path needs no broker).
    """
    if not settings.broker_url:
        raise ConfigError(
            "no broker configured: set FARM_BROKER_URL (e.g. redis://127.0.0.1:6379/0), "
            "or use 'farm run' for the embedded executor"
        )
    return settings.broker_url


def transport_options(settings: Settings) -> dict[str, Any]:
    """Kombu transport options: visibility timeout and the key prefix."""
    options: dict[str, Any] = {"visibility_timeout": settings.visibility_timeout}
    if settings.broker_key_prefix:
        options["global_keyprefix"] = settings.broker_key_prefix
    return options


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings both sides share (JSON only; results live in the farm's tables)."""
    return {
        "broker_url": broker_url(settings),
        "broker_transport_options": transport_options(settings),
        "visibility_timeout": settings.visibility_timeout,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "result_backend": None,
        "task_create_missing_queues": True,
        "enable_utc": True,
    }


def producer_app(settings: Settings) -> Any:
    """A Celery app that only sends messages (no tasks registered)."""
    from celery import Celery

    app = Celery("farm-producer", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


@contextmanager
def broker_errors(settings: Settings) -> Iterator[None]:
    """Map kombu/redis connection errors raised inside the block to :class:`BrokerError`."""
    from kombu.exceptions import KombuError, OperationalError

    try:
        yield
    except (OperationalError, KombuError, ConnectionError, OSError) as exc:
        from farm.db.engine import safe_url

        where = safe_url(settings.broker_url or "")
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BrokerError(f"broker {where} unreachable: {line}") from exc


def send_shards(settings: Settings, payloads: list[tuple[str, dict[str, Any]]]) -> int:
    """Send ``(model_key, payload)`` shard messages by task name; returns how many.

    Raises:
        BrokerError: if the broker cannot be reached.
    """
    from farm.shardspec import SHARD_TASK

    if not payloads:
        return 0
    app = producer_app(settings)
    retry_policy = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}
    try:
        with broker_errors(settings), app.producer_or_acquire() as producer:
            for model_key, payload in payloads:
                app.send_task(
                    SHARD_TASK,
                    args=[payload],
                    queue=queue_name(model_key),
                    producer=producer,
                    retry=True,
                    retry_policy=retry_policy,
                )
    finally:
        app.close()
    return len(payloads)


def queue_depth(settings: Settings, model_key: str) -> int | None:
    """Messages waiting on a model's queue (None when it cannot be read)."""
    try:
        import redis

        client = redis.Redis.from_url(broker_url(settings), socket_connect_timeout=2)
        key = settings.broker_key_prefix + queue_name(model_key)
        depth = int(client.llen(key))
        client.close()
        return depth
    except (ConfigError, OSError, ValueError):
        return None
    except Exception:  # noqa: BLE001  redis raises its own tree; depth is informational
        return None
