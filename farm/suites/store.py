"""Suites in the database: store one in a single transaction, find it, load its cases.

A suite is addressed as ``NAME`` (its newest loaded version) or ``NAME@VERSION``. Storing
is idempotent: the same name, version and content is a no-op; the same name and version
with different content is an error (a new version must get a new version string).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from farm.db.engine import session_scope
from farm.db.models import Run, Subset, Suite, TestCase
from farm.errors import StorageError, SuiteError
from farm.suites.build import SuiteData, case_hash
from farm.suites.case import Case
from farm.suites.categories import ALL, expand

#: Rows per INSERT round trip (executemany); keeps one statement well under parameter limits.
BATCH_ROWS = 500


@dataclass(frozen=True, slots=True)
class SuiteSummary:
    """One row of ``farm suites list``."""

    name: str
    version: str
    source: str
    sha256: str
    loaded_at: datetime
    n_cases: int


def parse_spec(spec: str) -> tuple[str, str | None]:
    """Split ``NAME`` or ``NAME@VERSION``."""
    name, _, version = spec.strip().partition("@")
    if not name:
        raise SuiteError(f"invalid suite {spec!r}: expected NAME or NAME@VERSION")
    return name, version or None


def _version_key(version: str) -> tuple[int, ...] | None:
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def newest(suites: Sequence[Suite]) -> Suite:
    """The highest version if all versions are dotted numbers, else the latest loaded.

    Versions derived by errata (``V+NAME``) are left out unless there is nothing else: a
    plain ``bfcl`` means the newest published version.
    """
    published = [s for s in suites if s.parent_id is None]
    suites = published or suites
    keys = [_version_key(s.version) for s in suites]
    if all(k is not None for k in keys):
        return max(zip(keys, suites, strict=True), key=lambda pair: pair[0] or ())[1]
    return max(suites, key=lambda s: s.id)


def resolve_suite(session: Session, spec: str) -> Suite:
    """The suite named by ``spec`` (``bfcl`` = newest version, ``bfcl@2026.3.23`` exact).

    Raises:
        SuiteError: no such suite or version is loaded; the message names what is.
    """
    name, version = parse_spec(spec)
    rows = list(session.scalars(select(Suite).where(Suite.name == name)))
    if not rows:
        names = sorted(set(session.scalars(select(Suite.name))))
        hint = f"loaded: {', '.join(names)}" if names else "no suite is loaded"
        pull = " (run 'farm suites pull bfcl')" if name == "bfcl" else ""
        raise SuiteError(f"unknown suite {name!r}{pull}; {hint}")
    if version is None:
        return newest(rows)
    for row in rows:
        if row.version == version:
            return row
    versions = ", ".join(sorted(r.version for r in rows))
    raise SuiteError(f"suite {name!r} has no version {version!r}; loaded: {versions}")


def suite_categories(session: Session, suite: Suite) -> list[str]:
    """The suite's categories in its own order (BFCL's order for BFCL)."""
    declared = suite.extra.get("categories") if isinstance(suite.extra, dict) else None
    present = set(category_counts(session, suite.id))
    if isinstance(declared, list):
        return [c for c in declared if c in present]
    order = {c: i for i, c in enumerate(ALL)}
    return sorted(present, key=lambda c: (order.get(c, len(order)), c))


def category_counts(session: Session, suite_id: int) -> dict[str, int]:
    """Number of cases per category, in BFCL's category order (others after, by name)."""
    rows = session.execute(
        select(TestCase.category, func.count())
        .where(TestCase.suite_id == suite_id)
        .group_by(TestCase.category)
    ).all()
    order = {c: i for i, c in enumerate(ALL)}
    ordered = sorted(rows, key=lambda r: (order.get(r[0], len(order)), r[0]))
    return {category: int(count) for category, count in ordered}


def case_from_row(row: TestCase) -> Case:
    """The in-memory :class:`Case` of a stored ``test_cases`` row."""
    return Case(
        case_id=row.case_id,
        category=row.category,
        language=row.language,
        turns=row.turns,
        functions=row.functions,
        answer=row.answer,
        extra=row.extra or {},
        position=row.position,
    )


def load_cases(
    session: Session,
    suite_id: int,
    *,
    categories: Sequence[str] | None = None,
    case_ids: Sequence[str] | None = None,
) -> list[Case]:
    """Cases of a suite in file order: by category (suite order), then position.

    ``categories`` may hold category or group names (``live``, ``multi_turn``...);
    ``case_ids`` picks single cases. Unknown names or ids raise :class:`SuiteError`.
    """
    suite = session.get(Suite, suite_id)
    if suite is None:
        raise SuiteError(f"unknown suite id {suite_id}")
    known = suite_categories(session, suite)
    query = select(TestCase).where(TestCase.suite_id == suite_id)
    if categories is not None:
        chosen = expand(categories, known)
        query = query.where(TestCase.category.in_(chosen))
    rows: list[TestCase] = []
    if case_ids is not None:
        wanted = list(dict.fromkeys(case_ids))
        for start in range(0, len(wanted), BATCH_ROWS):
            chunk = wanted[start : start + BATCH_ROWS]
            rows += session.scalars(query.where(TestCase.case_id.in_(chunk)))
        missing = sorted(set(wanted) - {r.case_id for r in rows})
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise SuiteError(
                f"{len(missing)} case id(s) not in {suite.name}@{suite.version}"
                f"{' (or not in the chosen categories)' if categories is not None else ''}: "
                f"{shown}"
            )
    else:
        rows = list(session.scalars(query))
    rank = {c: i for i, c in enumerate(known)}
    rows.sort(key=lambda r: (rank.get(r.category, len(rank)), r.category, r.position))
    return [case_from_row(r) for r in rows]


def case_rows(suite_id: int, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """The test_cases rows of ``cases`` (with content hashes), ready for executemany."""
    return [
        {
            "suite_id": suite_id,
            "case_id": c.case_id,
            "category": c.category,
            "language": c.language,
            "position": c.position,
            "turns": c.turns,
            "functions": c.functions,
            "answer": c.answer,
            "extra": c.extra,
            "content_hash": case_hash(c),
        }
        for c in cases
    ]


def save_suite(session: Session, data: SuiteData) -> tuple[Suite, bool]:
    """Store a suite and its cases in the session's transaction, batched.

    Returns the suite row and whether it was created (``False``: already loaded with the
    same content, nothing changed). Raises :class:`SuiteError` if that name and version
    are loaded with different content.
    """
    existing = session.scalars(
        select(Suite).where(Suite.name == data.name, Suite.version == data.version)
    ).first()
    if existing is not None:
        same_content = existing.extra.get("content_sha256") == data.extra.get("content_sha256")
        if existing.sha256 == data.sha256 or (same_content and "content_sha256" in data.extra):
            _add_new_categories(session, existing, data)
            return existing, False
        raise SuiteError(
            f"suite {data.name}@{data.version} is already loaded from different content "
            f"(sha256 {existing.sha256[:12]}, this source {data.sha256[:12]}); "
            "give the new content a new version"
        )
    if not data.cases:
        raise SuiteError(f"suite {data.name}@{data.version} has no cases")
    suite = Suite(
        name=data.name,
        version=data.version,
        source=data.source,
        sha256=data.sha256,
        extra=data.extra,
    )
    session.add(suite)
    session.flush()
    rows = case_rows(suite.id, data.cases)
    for start in range(0, len(rows), BATCH_ROWS):
        session.execute(insert(TestCase), rows[start : start + BATCH_ROWS])
    return suite, True


def _add_new_categories(session: Session, suite: Suite, data: SuiteData) -> None:
    """Add the categories a newer farm reads from the same source (e.g. BFCL's agentic ones).

    Stored cases are never touched; only categories absent from the database are inserted,
    and the suite's ``extra`` gains the keys it lacked.
    """
    stored = set(category_counts(session, suite.id))
    new_cases = [c for c in data.cases if c.category not in stored]
    if not new_cases:
        return
    rows = case_rows(suite.id, new_cases)
    for start in range(0, len(rows), BATCH_ROWS):
        session.execute(insert(TestCase), rows[start : start + BATCH_ROWS])
    merged = dict(suite.extra or {})
    for key, value in data.extra.items():
        merged.setdefault(key, value)
    if isinstance(data.extra.get("categories"), list):
        merged["categories"] = data.extra["categories"]
    suite.extra = merged


def store_suite(engine: Engine, data: SuiteData) -> tuple[Suite, bool]:
    """Store a suite in one transaction (see :func:`save_suite`).

    If another process stores the same name and version at the same moment, the loser's
    transaction hits the unique constraint and is rolled back; it then finds the winner's
    row and answers as :func:`save_suite` does for an existing suite.
    """
    try:
        with session_scope(engine) as session:
            return save_suite(session, data)
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
    with session_scope(engine) as session:
        return save_suite(session, data)


def remove_suite(session: Session, spec: str) -> Suite:
    """Delete a suite version and its cases; refused while runs refer to it."""
    suite = resolve_suite(session, spec)
    runs = session.scalar(select(func.count()).select_from(Run).where(Run.suite_id == suite.id))
    if runs:
        raise SuiteError(
            f"{suite.name}@{suite.version} is used by {runs} run(s); it is kept so that "
            "their results stay traceable"
        )
    derived = list(session.scalars(select(Suite.version).where(Suite.parent_id == suite.id)))
    if derived:
        raise SuiteError(
            f"{suite.name}@{suite.version} is the parent of "
            f"{', '.join(f'{suite.name}@{v}' for v in sorted(derived))}; remove those first"
        )
    session.execute(delete(Subset).where(Subset.suite_id == suite.id))
    session.execute(delete(TestCase).where(TestCase.suite_id == suite.id))
    session.execute(delete(Suite).where(Suite.id == suite.id))
    return suite


def list_suites(session: Session) -> list[SuiteSummary]:
    """Every loaded suite version with its number of cases, by name then load order."""
    counts = (
        select(TestCase.suite_id, func.count().label("n")).group_by(TestCase.suite_id).subquery()
    )
    rows = session.execute(
        select(Suite, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.suite_id == Suite.id)
        .order_by(Suite.name, Suite.id)
    ).all()
    return [
        SuiteSummary(s.name, s.version, s.source, s.sha256, s.loaded_at, int(n)) for s, n in rows
    ]
