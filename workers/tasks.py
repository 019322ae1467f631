"""The shard task: validate the payload, run the shard on the process's runtime.

A malformed payload can never succeed, so it is logged and dropped. A database outage before
the shard starts is retried with capped exponential backoff (the policy's layer 5 in
:mod:`farm.failures`; an outage at write time is waited out inside the shard, so nothing is
inferred twice); everything else a shard meets is recorded as data by
:func:`farm.shards.execute_shard`. A chain shard that finishes releases the shards waiting
for it; the task sends them (the ledger already holds them as queued).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from celery.exceptions import Reject

from farm.errors import BrokerError, RunError, StorageError
from farm.failures import TASK_MAX_RETRIES, TASK_RETRY_BACKOFF, TASK_RETRY_BACKOFF_MAX
from farm.shards import SHARD_TASK, ShardSpec
from workers.runtime import EndpointLost

if TYPE_CHECKING:
    from farm.config import Settings
    from workers.app import FarmCelery

log = logging.getLogger(__name__)


class _QuietReject(logging.Filter):
    """Celery logs a rejected task with its traceback; a rejection here is no bug: one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], Reject):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("celery.app.trace").addFilter(_QuietReject())


def register_tasks(app: FarmCelery) -> None:
    """Register the shard task on ``app`` (by name, as the producer sends it)."""

    @app.task(  # type: ignore[untyped-decorator]
        name=SHARD_TASK,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(StorageError,),  # the policy's layer 5 (farm/failures.py)
        retry_backoff=TASK_RETRY_BACKOFF,
        retry_backoff_max=TASK_RETRY_BACKOFF_MAX,
        retry_jitter=True,
        max_retries=TASK_MAX_RETRIES,
        ignore_result=True,
    )
    def execute_shard_task(self: Any, payload: Any) -> dict[str, Any]:
        try:
            shard = ShardSpec.from_payload(payload)
        except RunError as exc:
            log.error("dropping a message: %s", exc)
            return {"status": "rejected", "reason": str(exc)}
        runtime = self.app.farm_runtime
        if runtime is None:
            raise RuntimeError("the shard task runs only inside 'farm worker'")
        if shard.model_key != runtime.spec.key:
            log.error(
                "shard of model %s arrived at a worker of %s", shard.model_key, runtime.spec.key
            )
            return {"status": "rejected", "reason": "wrong model"}
        try:
            outcome = runtime.run_shard(shard)
        except EndpointLost as exc:  # back to the queue for a worker whose endpoint is fine
            raise Reject(exc.message, requeue=True) from None
        if outcome.released:
            _send_released(runtime.settings, outcome.released)
        log.info(
            "shard %s/%s: %s (%d written%s)",
            shard.run_id,
            shard.shard_no,
            outcome.status,
            outcome.written,
            ", run finalised" if outcome.finalised else "",
        )
        return {"status": outcome.status, "written": outcome.written}


def _send_released(settings: Settings, shards: Sequence[ShardSpec]) -> None:
    """Send the shards a finished chain released (they are ``queued`` in the ledger).

    A broker that cannot take them now loses nothing: the sweep re-sends queued shards
    that no worker took (:func:`farm.runs.sweep`).
    """
    from farm.producer import enqueue

    try:
        enqueue(settings, shards)
    except BrokerError as exc:
        log.warning("%d released shard(s) not sent (the sweep re-sends them): %s", len(shards), exc)
