"""Which cases a run covers, and scores restricted to a named subset.

A leaderboard only ranks runs that cover the same cases. Runs planned with ``--cases``,
``--sample`` or ``--subset`` record their selection (``runs.options["selection"]``, with a
digest of the case ids); runs planned by categories alone share one case set, the whole
categories (BFCL's rules then apply: a category not run shows N/A and counts 0). Runs of
different case sets are ranked separately, each set in its own block.

``--subset NAME`` on the leaderboard, ``farm compare`` and ``farm history`` scores every run
on the subset's cases only, from its stored results: a run that lacks some of them is left
out (and counted), so that every score shown covers exactly the same cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from farm.db.models import Result, Run, Suite
from farm.report.rows import RunRow, Score
from farm.report.scores import category_cell, section_cells

#: Case-set key of runs planned by categories alone.
CATEGORY_RUNS = "categories"


@dataclass(frozen=True, slots=True)
class SubsetCases:
    """A named subset resolved for reports: its suite, name and case ids."""

    suite: Suite
    name: str
    case_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        """``subset NAME (N cases)``."""
        return f"subset {self.name} ({len(self.case_ids)} cases)"


def resolve_subset(session: Session, name: str, suite_spec: str | None) -> SubsetCases:
    """The subset ``name`` of ``suite_spec`` (default: the newest ``bfcl``).

    Raises:
        SuiteError: unknown suite or subset (one line naming the known ones).
    """
    from farm.suites.store import resolve_suite
    from farm.suites.subsets import get_subset

    suite = resolve_suite(session, suite_spec or "bfcl")
    row = get_subset(session, suite, name)
    return SubsetCases(suite, name, tuple(str(c) for c in row.case_ids))


def subset_of_run(session: Session, name: str, run_ref: str) -> SubsetCases:
    """The subset ``name`` of the suite version run ``run_ref`` ran on."""
    from farm.db.lookup import resolve_run_id

    run = session.get(Run, resolve_run_id(session, run_ref))
    suite = session.get(Suite, run.suite_id) if run is not None else None
    assert suite is not None
    return resolve_subset(session, name, f"{suite.name}@{suite.version}")


def case_set(options: Mapping[str, Any] | None) -> tuple[str, str | None]:
    """``(key, label)`` of the cases a run covers: runs with equal keys are comparable."""
    selection = (options or {}).get("selection")
    if isinstance(selection, dict) and selection.get("cases_sha256"):
        label = str(selection.get("definition") or "selected cases")
        return str(selection["cases_sha256"]), f"{label} ({selection.get('cases')} cases)"
    return CATEGORY_RUNS, None


def rank_by_case_set(
    rows: list[RunRow], order: Callable[[list[RunRow]], list[RunRow]]
) -> list[RunRow]:
    """Rank each case set (``row.case_key``) on its own.

    Category runs first, then larger sets first; ``order`` sorts and ranks one block.
    """
    blocks: dict[str, list[RunRow]] = {}
    for row in rows:
        blocks.setdefault(row.case_key, []).append(row)

    def weight(key: str) -> tuple[int, int]:
        return (key != CATEGORY_RUNS, -max(r.n_cases for r in blocks[key]))

    out: list[RunRow] = []
    for key in sorted(blocks, key=weight):
        out.extend(order(blocks[key]))
    return out


def restricted_rows(
    session: Session,
    rows: Iterable[RunRow],
    subset: SubsetCases,
) -> tuple[list[RunRow], list[RunRow]]:
    """``rows`` scored on the subset's cases only, and the rows left out (lacking some).

    Category cells are counted again from ``results`` (cases of the subset only); the
    sections follow from them. Latency and the other metadata stay the run's.
    """
    rows = list(rows)
    if not rows:
        return [], []
    wanted = list(subset.case_ids)
    counts: dict[uuid.UUID, dict[str, tuple[int, int, int]]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = (
            select(
                Result.run_id,
                Result.category,
                func.count(),
                func.sum(case((Result.valid.is_(True), 1), else_=0)),
                func.sum(case((Result.inference_error.is_not(None), 1), else_=0)),
            )
            .where(Result.run_id.in_([r.run_id for r in rows]), Result.case_id.in_(chunk))
            .group_by(Result.run_id, Result.category)
        )
        for run_id, category, n, correct, errors in session.execute(query):
            old = counts.setdefault(run_id, {}).get(category, (0, 0, 0))
            counts[run_id][category] = (
                old[0] + int(n),
                old[1] + int(correct or 0),
                old[2] + int(errors or 0),
            )
    kept: list[RunRow] = []
    left: list[RunRow] = []
    for row in rows:
        mine = counts.get(row.run_id, {})
        if sum(n for n, _, _ in mine.values()) < len(wanted):
            left.append(row)
            continue
        order = list(row.categories) + sorted(c for c in mine if c not in row.categories)
        cells: dict[str, Score] = {c: category_cell(*mine[c], True) for c in order if c in mine}
        row.categories = cells
        row.sections = section_cells(cells)
        row.selection = subset.label
        kept.append(row)
    return kept, left
