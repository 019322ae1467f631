"""Memory snapshots of prerequisite chains in the database (table ``memory_snapshots``).

One row per completed prerequisite conversation: ``(run_id, category, scenario, step)``
with the backend's state after it. A chain resumes after its last stored step (a worker
killed mid-chain loses only the conversation it was in); a question starts from the row
with the highest step of its scenario.

The row also keeps the conversation's transcript (:class:`Transcript`): prerequisites are
not scored, so they have no ``results`` row, but what the model said and the tool results
it saw are what a user reads to see why a memory question failed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from farm.agentic.memory.backends import MemorySnapshot
from farm.db.engine import session_scope
from farm.db.models import MemorySnapshotRow
from farm.errors import StorageError


@dataclass(frozen=True, slots=True)
class Transcript:
    """A prerequisite conversation as it ran.

    Attributes:
        raw_output: BFCL's multi-turn ``result`` shape (model output per turn and step).
        call_info: ``{"tool_results": [[[str]]]}``, the results shown per turn and step.
        latency_s: seconds of model time (summed over steps).
        input_tokens, output_tokens: summed over steps.
    """

    raw_output: Any
    call_info: Any = None
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class StoredPrerequisite:
    """One stored prerequisite conversation of a run (its snapshot row, without the state)."""

    prereq_id: str
    category: str
    scenario: str
    step: int
    transcript: Transcript | None


class SnapshotStore:
    """Reads and writes the memory snapshots of runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self,
        run_id: uuid.UUID,
        category: str,
        step: int,
        prereq_id: str,
        snapshot: MemorySnapshot,
        transcript: Transcript | None = None,
    ) -> None:
        """Store the state after ``step`` and the conversation that led to it.

        A step already stored is kept as it is (its first transcript with it).
        """
        row = MemorySnapshotRow(
            run_id=run_id,
            category=category,
            scenario=snapshot.scenario,
            step=step,
            prereq_id=prereq_id,
            state={"class": snapshot.class_name, "state": snapshot.state},
        )
        if transcript is not None:
            row.raw_output = transcript.raw_output
            row.call_info = transcript.call_info
            row.latency_s = transcript.latency_s
            row.input_tokens = transcript.input_tokens
            row.output_tokens = transcript.output_tokens
        try:
            with session_scope(self.engine) as session:
                session.add(row)
        except StorageError as exc:
            # the same step stored by an earlier attempt stands; any other failure is raised
            if not isinstance(exc.__cause__, IntegrityError) or not self._has(
                run_id, category, snapshot.scenario, step
            ):
                raise

    def _has(self, run_id: uuid.UUID, category: str, scenario: str, step: int) -> bool:
        with session_scope(self.engine) as session:
            found = session.scalar(
                select(MemorySnapshotRow.id).where(
                    MemorySnapshotRow.run_id == run_id,
                    MemorySnapshotRow.category == category,
                    MemorySnapshotRow.scenario == scenario,
                    MemorySnapshotRow.step == step,
                )
            )
        return found is not None

    def latest(
        self, run_id: uuid.UUID, category: str, scenario: str
    ) -> tuple[int, MemorySnapshot] | None:
        """The highest stored step of a scenario's chain and its snapshot, if any."""
        with session_scope(self.engine) as session:
            row = session.scalars(
                select(MemorySnapshotRow)
                .where(
                    MemorySnapshotRow.run_id == run_id,
                    MemorySnapshotRow.category == category,
                    MemorySnapshotRow.scenario == scenario,
                )
                .order_by(MemorySnapshotRow.step.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            snapshot = MemorySnapshot.from_json(
                {"class": row.state["class"], "scenario": row.scenario, "state": row.state["state"]}
            )
            return row.step, snapshot

    def prerequisites(self, run_id: uuid.UUID) -> list[StoredPrerequisite]:
        """The run's stored prerequisite conversations, by category, scenario and step."""
        query = select(
            MemorySnapshotRow.prereq_id,
            MemorySnapshotRow.category,
            MemorySnapshotRow.scenario,
            MemorySnapshotRow.step,
            MemorySnapshotRow.raw_output,
            MemorySnapshotRow.call_info,
            MemorySnapshotRow.latency_s,
            MemorySnapshotRow.input_tokens,
            MemorySnapshotRow.output_tokens,
        ).where(MemorySnapshotRow.run_id == run_id)
        query = query.order_by(
            MemorySnapshotRow.category, MemorySnapshotRow.scenario, MemorySnapshotRow.step
        )
        with session_scope(self.engine) as session:
            rows = session.execute(query).all()
        return [
            StoredPrerequisite(
                pid,
                category,
                scenario,
                step,
                None if raw is None else Transcript(raw, info, latency, tokens_in, tokens_out),
            )
            for pid, category, scenario, step, raw, info, latency, tokens_in, tokens_out in rows
        ]
