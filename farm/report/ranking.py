"""One page of a leaderboard, without building every row of the board.

A board of a thousand runs costs a hundred milliseconds or more to build in full (every
category and section cell with its interval, latency and cost). A page shows a hundred
rows. The order of the whole board, by rank or by any score, comes from the scores stored
in ``run_scores`` (the same values :func:`farm.report.queries.load_runs` reads, with the
same N/A rule), and only the rows of the page (and the top rows the charts need) are built.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from farm.db.models import Run, RunScore
from farm.report.latency import tune_for_reports
from farm.report.queries import board_runs, load_runs
from farm.report.repeats import REPEAT_OPTION
from farm.report.rows import RunRow


@dataclass(frozen=True)
class BoardPage:
    """Rows ``offset`` to ``offset + limit`` of a board in the requested order.

    Attributes:
        rows: The page's rows, each with its rank on the whole board.
        total: Runs on the whole board.
        top: The first rows of the order (for charts), ranked too.
    """

    rows: list[RunRow]
    total: int
    top: list[RunRow]


def board_page(
    session: Session,
    *,
    suite: str | None = None,
    latest_per_model: bool = False,
    sort: str = "rank",
    never_na: bool = False,
    ascending: bool = True,
    offset: int = 0,
    limit: int = 100,
    top: int = 8,
) -> BoardPage | None:
    """One page of :func:`farm.report.queries.leaderboard`, sorted by rank or a score.

    Args:
        session: An open session.
        suite: As for the leaderboard.
        latest_per_model: As for the leaderboard.
        sort: ``rank`` or the name of a section or category (a section wins a shared
            name); N/A sorts below every value, ties keep the rank order.
        never_na: The sorted metric is shown even when a member did not run.
        ascending: Rank 1 first (``sort="rank"``), or lowest score first.
        offset: Rows skipped before the page.
        limit: Rows on the page.
        top: Rows of the order returned in ``top``.

    Returns:
        The page, or None when the whole board must be built: a run lacks its stored
        ``overall`` section, or runs with a case selection or repeat groups are on the
        board (they are ranked in blocks and merged, see
        :func:`farm.report.queries.leaderboard`).
    """
    tune_for_reports(session)
    wanted = select(
        board_runs(session, suite=suite, latest_per_model=latest_per_model).subquery().c[0]
    )
    overall = and_(
        RunScore.run_id == Run.id, RunScore.kind == "section", RunScore.category == "overall"
    )
    ranked = list(
        session.execute(
            select(Run.id, Run.created_at, RunScore.accuracy, Run.options)
            .outerjoin(RunScore, overall)
            .where(Run.id.in_(wanted))
        ).all()
    )
    if any(accuracy is None or _grouped(options) for _, _, accuracy, options in ranked):
        return None  # case sets and repeat groups are ranked by the whole board's rules
    ranked.sort(key=lambda r: (-r[2], -r[1].timestamp()))
    order = [rid for rid, _, _, _ in ranked]
    rank = {rid: i for i, rid in enumerate(order, start=1)}
    if sort == "rank":
        if not ascending:
            order.reverse()
    else:
        value = _sort_values(session, wanted, sort, never_na)
        order.sort(key=lambda rid: value.get(rid, -1.0), reverse=not ascending)
    page_ids = order[offset : offset + limit]
    top_ids = order[:top]
    rows = {r.run_id: r for r in load_runs(session, [*page_ids, *top_ids], with_latency=True)}
    for rid, row in rows.items():
        row.rank = rank[rid]
    return BoardPage(rows=_pick(rows, page_ids), total=len(order), top=_pick(rows, top_ids))


def _grouped(options: Any) -> bool:
    """Whether a run has a case selection or belongs to a repeat group."""
    return isinstance(options, dict) and bool(
        options.get("selection") or options.get(REPEAT_OPTION)
    )


def _pick(rows: dict[uuid.UUID, RunRow], ids: Sequence[uuid.UUID]) -> list[RunRow]:
    return [rows[i] for i in ids if i in rows]


def _sort_values(
    session: Session, wanted: Any, name: str, never_na: bool
) -> dict[uuid.UUID, float]:
    """The displayed accuracy of ``name`` per run; runs where it is N/A are left out."""
    found: dict[uuid.UUID, tuple[str, float, bool]] = {}
    for rid, kind, accuracy, ran in session.execute(
        select(RunScore.run_id, RunScore.kind, RunScore.accuracy, RunScore.ran).where(
            RunScore.run_id.in_(wanted),
            RunScore.category == name,
        )
    ):
        if rid not in found or kind == "section":  # a section wins a shared name
            found[rid] = (kind, accuracy, bool(ran))
    return {rid: accuracy for rid, (_, accuracy, ran) in found.items() if ran or never_na}
