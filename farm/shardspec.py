"""The broker payload of one shard: :class:`ShardSpec`.

The producer builds it (:func:`shard_spec`, from the run and shard rows), the broker
carries it as JSON, and the executors (:mod:`farm.shards`, via :mod:`farm.local` or a Celery
worker) run it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from farm.db.base import utcnow
from farm.errors import RunError

if TYPE_CHECKING:
    from farm.db.models import Run, Shard

#: Name of the Celery task that executes a shard (the producer sends tasks by name).
SHARD_TASK = "farm.execute_shard"


class ShardSpec(BaseModel):
    """The broker payload of one shard: small, frozen, JSON-serialisable, self-describing.

    The model's endpoints are not part of it: the worker that consumes the model's queue
    knows where its endpoint is. The run's mode and generation settings are.

    A chain shard has ``chain`` set (the benchmark's chain key, e.g. ``memory_kv:student``)
    and its ``case_ids`` are the chain's prerequisite ids, in order; a shard whose cases
    wait for a chain names the chain shard's number in ``waits_on``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    created_at: datetime = Field(default_factory=utcnow)
    run_id: uuid.UUID
    shard_no: int = Field(ge=0)
    suite_id: int
    model_key: str
    mode: str
    generation: dict[str, Any] = Field(default_factory=dict)
    case_ids: tuple[str, ...]
    tool_retrieval: int | None = Field(default=None, ge=1)
    embedding_model: str | None = None
    chain: str | None = None
    waits_on: int | None = Field(default=None, ge=0)

    @classmethod
    def from_payload(cls, payload: Any) -> ShardSpec:
        """Validate a payload received from the broker.

        Raises:
            RunError: if the payload is not a valid shard spec.
        """
        try:
            return cls.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "payload"
            raise RunError(f"malformed shard payload: {where}: {first['msg']}") from exc

    def payload(self) -> dict[str, Any]:
        """The JSON-safe dict sent through the broker."""
        return self.model_dump(mode="json")


def shard_spec(
    run: Run,
    shard_no: int,
    case_ids: Sequence[str],
    *,
    chain: str | None = None,
    waits_on: int | None = None,
) -> ShardSpec:
    """The broker payload of one shard of ``run``."""
    return ShardSpec(
        run_id=run.id,
        shard_no=shard_no,
        suite_id=run.suite_id,
        model_key=run.model_key,
        mode=run.mode,
        generation=dict(run.generation),
        case_ids=tuple(case_ids),
        tool_retrieval=(run.options or {}).get("tool_retrieval"),
        embedding_model=(run.options or {}).get("embedding_model"),
        chain=chain,
        waits_on=waits_on,
    )


def spec_of(run: Run, shard: Shard) -> ShardSpec:
    """The broker payload of the stored shard ``shard`` of ``run``."""
    return shard_spec(
        run, shard.shard_no, shard.case_ids, chain=shard.chain, waits_on=shard.waits_on
    )
