"""Memory snapshots of prerequisite chains in the database (table ``memory_snapshots``).

One row per completed prerequisite conversation: ``(run_id, category, scenario, step)``
with the backend's state after it. A chain resumes after its last stored step (a worker
killed mid-chain loses only the conversation it was in); a question starts from the row
with the highest step of its scenario.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from farm.agentic.memory.backends import MemorySnapshot
from farm.db.engine import session_scope
from farm.db.models import MemorySnapshotRow
from farm.errors import StorageError


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
    ) -> None:
        """Store the state after ``step`` (a step already stored is kept as it is)."""
        row = MemorySnapshotRow(
            run_id=run_id,
            category=category,
            scenario=snapshot.scenario,
            step=step,
            prereq_id=prereq_id,
            state={"class": snapshot.class_name, "state": snapshot.state},
        )
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
