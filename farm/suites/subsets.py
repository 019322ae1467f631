"""Named subsets of a suite version, and the one resolver of a run's case selection.

A subset is a list of case ids of one suite version, stored under a name unique within
that version (table ``subsets``), with the definition it was made from. ``--subset NAME``
on runs and reports refers to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from farm.db.models import Subset, Suite, TestCase
from farm.errors import SuiteError
from farm.suites.categories import expand
from farm.suites.selection import pick_cases, sample_cases
from farm.suites.store import suite_categories

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass(frozen=True, slots=True)
class Selection:
    """The cases a run covers: ids in suite order and how they were chosen.

    ``definition`` is empty when the whole (category-filtered) suite is chosen.
    """

    case_ids: list[str]
    definition: str
    subset: str | None = None


def suite_ids(session: Session, suite: Suite) -> list[tuple[str, str]]:
    """``(case_id, category)`` of every case of ``suite``, in the suite's order."""
    rows = session.execute(
        select(TestCase.case_id, TestCase.category, TestCase.position).where(
            TestCase.suite_id == suite.id
        )
    ).all()
    rank = {c: i for i, c in enumerate(suite_categories(session, suite))}
    rows = sorted(rows, key=lambda r: (rank.get(r[1], len(rank)), r[1], r[2]))
    return [(case_id, category) for case_id, category, _ in rows]


def check_name(name: str) -> str:
    """A subset name: 1-100 letters, digits, ``_``, ``.`` or ``-``."""
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise SuiteError(f"invalid subset name {name!r}: use letters, digits, '_', '.' or '-'")
    return name


def get_subset(session: Session, suite: Suite, name: str) -> Subset:
    """The subset ``name`` of ``suite``; unknown names list the known ones."""
    row = session.scalars(
        select(Subset).where(Subset.suite_id == suite.id, Subset.name == name)
    ).first()
    if row is None:
        names = sorted(session.scalars(select(Subset.name).where(Subset.suite_id == suite.id)))
        known = f"; subsets of it: {', '.join(names)}" if names else "; it has no subsets"
        raise SuiteError(f"unknown subset {name!r} of {suite.name}@{suite.version}{known}")
    return row


def add_subset(
    session: Session, suite: Suite, name: str, case_ids: Sequence[str], definition: str
) -> Subset:
    """Store a subset; the name must be new for this suite version."""
    check_name(name)
    exists = session.scalars(
        select(Subset.id).where(Subset.suite_id == suite.id, Subset.name == name)
    ).first()
    if exists is not None:
        raise SuiteError(f"subset {name!r} of {suite.name}@{suite.version} exists; remove it first")
    if not case_ids:
        raise SuiteError(f"subset {name!r} would hold no cases")
    row = Subset(suite_id=suite.id, name=name, case_ids=list(case_ids), definition=definition)
    session.add(row)
    session.flush()
    return row


def list_subsets(session: Session, suite: Suite | None = None) -> list[tuple[Subset, Suite]]:
    """Every subset (of one suite version, or of all), by suite then name."""
    query = select(Subset, Suite).join(Suite, Suite.id == Subset.suite_id)
    if suite is not None:
        query = query.where(Subset.suite_id == suite.id)
    rows = session.execute(query.order_by(Suite.name, Suite.id, Subset.name)).all()
    return [(subset, owner) for subset, owner in rows]


def remove_subset(session: Session, suite: Suite, name: str) -> Subset:
    """Delete a subset; runs made with it keep their recorded case ids."""
    row = get_subset(session, suite, name)
    session.delete(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """``--subset``, ``--cases`` and ``--sample N --seed S`` of a run or a subset."""

    cases: tuple[str, ...] = ()
    sample: int | None = None
    seed: int = 0
    subset: str | None = None

    def __bool__(self) -> bool:
        return bool(self.cases) or self.sample is not None or self.subset is not None


def narrow(
    session: Session, suite: Suite, pairs: Sequence[tuple[str, str]], flt: CaseFilter
) -> Selection:
    """Apply ``flt`` to ``(case_id, category)`` pairs (suite order kept).

    The subset narrows first, then ``--cases``; ``--sample`` draws last.

    Raises:
        SuiteError: an unknown subset, id or pattern, or a sample larger than the
            candidates; every message is one line.
    """
    parts: list[str] = []
    pairs = list(pairs)
    if flt.subset is not None:
        members = set(get_subset(session, suite, flt.subset).case_ids)
        pairs = [p for p in pairs if p[0] in members]
        parts.append(f"--subset {flt.subset}")
    if flt.cases:
        whole = len(pairs) == session.scalar(
            select(func.count()).select_from(TestCase).where(TestCase.suite_id == suite.id)
        )
        scope = "the suite" if whole else f"the {len(pairs)} cases chosen"
        if not whole:
            scope += f" ({parts[0]})" if parts else " (--categories)"
        picked = set(pick_cases(flt.cases, [p[0] for p in pairs], scope))
        pairs = [p for p in pairs if p[0] in picked]
        parts.append(f"--cases {','.join(flt.cases)}")
    if flt.sample is not None:
        picked = set(sample_cases(pairs, flt.sample, flt.seed))
        pairs = [p for p in pairs if p[0] in picked]
        parts.append(f"--sample {flt.sample} --seed {flt.seed}")
    if not pairs:
        raise SuiteError("the selection holds no cases")
    return Selection([p[0] for p in pairs], " ".join(parts), flt.subset)


def cases_digest(case_ids: Sequence[str]) -> str:
    """SHA-256 of the sorted case ids: runs with equal digests cover the same cases."""
    return hashlib.sha256("\n".join(sorted(case_ids)).encode()).hexdigest()


def select_cases(
    session: Session,
    suite: Suite,
    *,
    categories: Sequence[str] | None = None,
    cases: Sequence[str] = (),
    sample: int | None = None,
    seed: int = 0,
    subset: str | None = None,
) -> Selection:
    """The cases of ``suite`` chosen by ``--categories``, then :func:`narrow`.

    Raises:
        SuiteError: an unknown category, subset, id or pattern, or a sample larger than
            the candidates; every message is one line.
    """
    pairs = suite_ids(session, suite)
    if categories is not None:
        chosen = set(expand(categories, suite_categories(session, suite)))
        pairs = [p for p in pairs if p[1] in chosen]
    return narrow(session, suite, pairs, CaseFilter(tuple(cases), sample, seed, subset))
