"""What changed between two stored versions of a suite, case by case.

Cases are matched by id. A case present in both versions is *changed* when its content
hash differs (:func:`farm.suites.build.case_hash`: question, functions, ground truth and
every extra field); the diff then names the fields that differ, in BFCL's terms
(``question``, ``function``, ``ground_truth``, ``category``, ``language`` and the extra
fields by name, e.g. ``initial_config``). A case whose content is the same but whose
position in its file moved is not changed. Suite-wide data (multi-turn environment
sources) is compared by file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from farm.db.models import Suite, TestCase
from farm.suites.categories import ALL

#: Stored column -> the field name BFCL's files use for it.
FIELD_NAMES: dict[str, str] = {
    "category": "category",
    "language": "language",
    "turns": "question",
    "functions": "function",
    "answer": "ground_truth",
}


@dataclass(frozen=True, slots=True)
class ChangedCase:
    """One case present in both versions with different content."""

    case_id: str
    category: str
    fields: tuple[str, ...]


@dataclass
class SuiteDiff:
    """Added, removed and changed cases of ``new`` relative to ``old`` (ids in suite order).

    ``sources`` lists the multi-turn environment source files that were added, removed or
    changed (``+file``, ``-file``, ``~file``).
    """

    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ChangedCase] = field(default_factory=list)
    unchanged: int = 0
    categories: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def field_counts(self) -> dict[str, int]:
        """Number of changed cases per changed field, most frequent first."""
        counts = Counter(f for c in self.changed for f in c.fields)
        return dict(counts.most_common())


def _rank(category: str) -> int:
    order = {c: i for i, c in enumerate(ALL)}
    return order.get(category, len(order))


def changed_fields(old: TestCase, new: TestCase) -> tuple[str, ...]:
    """The BFCL field names whose values differ between two rows of the same case."""
    names = [
        label
        for column, label in FIELD_NAMES.items()
        if getattr(old, column) != getattr(new, column)
    ]
    old_extra: Mapping[str, Any] = old.extra or {}
    new_extra: Mapping[str, Any] = new.extra or {}
    for key in sorted({*old_extra, *new_extra}):
        if old_extra.get(key, None) != new_extra.get(key, None) or (key in old_extra) != (
            key in new_extra
        ):
            names.append(key)
    return tuple(names)


def _source_changes(old: Suite, new: Suite) -> list[str]:
    a = (old.extra or {}).get("multi_turn_sources") or {}
    b = (new.extra or {}).get("multi_turn_sources") or {}
    out = [f"+{name}" for name in sorted(set(b) - set(a))]
    out += [f"-{name}" for name in sorted(set(a) - set(b))]
    out += [f"~{name}" for name in sorted(set(a) & set(b)) if a[name] != b[name]]
    return out


def _hashes(session: Session, suite_id: int) -> dict[str, tuple[str, str, int]]:
    rows = session.execute(
        select(TestCase.case_id, TestCase.category, TestCase.position, TestCase.content_hash).where(
            TestCase.suite_id == suite_id
        )
    ).all()
    return {case_id: (category, digest, position) for case_id, category, position, digest in rows}


def _rows(session: Session, suite_id: int, case_ids: Sequence[str]) -> dict[str, TestCase]:
    out: dict[str, TestCase] = {}
    for start in range(0, len(case_ids), 500):
        chunk = list(case_ids[start : start + 500])
        query = select(TestCase).where(TestCase.suite_id == suite_id, TestCase.case_id.in_(chunk))
        out.update((row.case_id, row) for row in session.scalars(query))
    return out


def diff_suites(session: Session, old: Suite, new: Suite) -> SuiteDiff:
    """Compare two stored suite versions (``new`` against ``old``).

    Returns:
        A :class:`SuiteDiff`; ``categories`` maps each category to its counts of
        ``added``, ``removed``, ``changed`` and ``unchanged`` cases.
    """
    a, b = _hashes(session, old.id), _hashes(session, new.id)

    def key(pair: tuple[str, tuple[str, str, int]]) -> tuple[int, str, int]:
        category, _, position = pair[1]
        return (_rank(category), category, position)

    result = SuiteDiff(old=f"{old.name}@{old.version}", new=f"{new.name}@{new.version}")
    result.added = [cid for cid, _ in sorted(((c, v) for c, v in b.items() if c not in a), key=key)]
    result.removed = [
        cid for cid, _ in sorted(((c, v) for c, v in a.items() if c not in b), key=key)
    ]
    shared = sorted(((c, v) for c, v in b.items() if c in a), key=key)
    differing = [cid for cid, value in shared if a[cid][1] != value[1]]
    old_rows, new_rows = _rows(session, old.id, differing), _rows(session, new.id, differing)
    for cid in differing:
        fields = changed_fields(old_rows[cid], new_rows[cid]) or ("content",)
        result.changed.append(ChangedCase(cid, new_rows[cid].category, fields))
    result.unchanged = len(shared) - len(differing)
    tally: dict[str, Counter[str]] = {}
    for cid in result.added:
        tally.setdefault(b[cid][0], Counter())["added"] += 1
    for cid in result.removed:
        tally.setdefault(a[cid][0], Counter())["removed"] += 1
    changed_ids = set(differing)
    for cid, (category, _, _) in shared:
        tally.setdefault(category, Counter())["changed" if cid in changed_ids else "unchanged"] += 1
    result.categories = {
        category: {k: tally[category][k] for k in ("added", "removed", "changed", "unchanged")}
        for category in sorted(tally, key=lambda c: (_rank(c), c))
    }
    result.sources = _source_changes(old, new)
    return result
