"""The broker payload of one shard: :class:`ShardSpec`.

The producer builds it (:func:`farm.producer.shard_spec`), the broker carries it as JSON,
and the executors (:mod:`farm.shards`, via :mod:`farm.local` or a Celery worker) run it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from farm.db.base import utcnow
from farm.errors import RunError

#: Name of the Celery task that executes a shard (the producer sends tasks by name).
SHARD_TASK = "farm.execute_shard"


class ShardSpec(BaseModel):
    """The broker payload of one shard: small, frozen, JSON-serialisable, self-describing.

    The model's endpoints are not part of it: the worker that consumes the model's queue
    knows where its endpoint is. The run's mode and generation settings are.
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
