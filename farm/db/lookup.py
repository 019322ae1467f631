"""Finding a run from what a user types: a full id, a unique id prefix, or a label."""

from __future__ import annotations

import uuid

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from farm.db.models import Run
from farm.errors import RunError


def resolve_run_id(session: Session, ref: uuid.UUID | str) -> uuid.UUID:
    """A run id from a uuid, a unique prefix of at least 4 hex digits, or a run label.

    Raises:
        RunError: no run, or more than one, matches.
    """
    if isinstance(ref, uuid.UUID):
        if session.get(Run, ref) is None:
            raise RunError(f"no run {ref}")
        return ref
    text = ref.strip()
    try:
        return resolve_run_id(session, uuid.UUID(text))
    except ValueError:
        pass
    matches: list[uuid.UUID] = []
    prefix = text.replace("-", "").lower()
    if len(prefix) >= 4 and all(ch in "0123456789abcdef" for ch in prefix):
        hex_id = func.replace(func.lower(cast(Run.id, String)), "-", "")
        matches = list(session.scalars(select(Run.id).where(hex_id.like(f"{prefix}%")).limit(2)))
    if not matches and text:
        matches = list(session.scalars(select(Run.id).where(Run.label == text).limit(2)))
    if not matches:
        raise RunError(f"no run matches {ref!r} (give a run id, a unique id prefix or a label)")
    if len(matches) > 1:
        raise RunError(f"{ref!r} matches several runs; give more of the run id")
    return matches[0]
