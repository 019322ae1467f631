"""The farm's Overall over the categories that ran, beside BFCL's Overall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.report.queries import leaderboard
from farm.report.render import render_csv, render_json, render_markdown, rich_table
from farm.report.rows import Score
from farm.report.scores import section_cells
from farm.scoring.sections import (
    BFCL_SIZES,
    RAN_OVERALL,
    CategoryScore,
    compute_ran_overall,
    compute_sections,
)
from tests.report import builders as b


def test_a_full_run_gets_bfcl_overall() -> None:
    scores = {
        c: CategoryScore(c, n, (n * (i + 3)) // 29) for i, (c, n) in enumerate(BFCL_SIZES.items())
    }
    bfcl = {s.name: s for s in compute_sections(scores)}["overall"]
    assert compute_ran_overall(scores).accuracy == pytest.approx(bfcl.accuracy)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"simple_python": (3, 4)}, 0.75),
        # non_live 1.0 (weight 10) and multi_turn 0.5 (weight 30): (10 + 15) / 40
        ({"simple_python": (4, 4), "multi_turn_base": (1, 2)}, 0.625),
        # Live pools its members: (3 + 1) / (4 + 4)
        ({"live_simple": (3, 4), "live_multiple": (1, 4)}, 0.5),
        # Non-live simple averages the simple categories that ran, then non-live averages
        # its members that ran: mean(mean(1, 0.5), 0)
        ({"simple_python": (2, 2), "simple_java": (1, 2), "multiple": (0, 2)}, 0.375),
    ],
)
def test_a_partial_run_is_scored_on_what_ran(
    scores: dict[str, tuple[int, int]], expected: float
) -> None:
    cats = {c: CategoryScore(c, n, k) for c, (k, n) in scores.items()}
    ran = compute_ran_overall(cats)
    assert (ran.name, ran.ran) == (RAN_OVERALL, True)
    assert ran.accuracy == pytest.approx(expected)
    cells = section_cells({c: Score(k / n, True, n, k) for c, (k, n) in scores.items()})
    assert cells[RAN_OVERALL].accuracy == pytest.approx(expected)
    low, high = cells[RAN_OVERALL].ci
    assert low <= expected <= high
    assert cells["overall"].accuracy < expected


def test_its_case_count_leaves_out_relevance_and_format_sensitivity() -> None:
    cats = {
        "simple_python": CategoryScore("simple_python", 4, 3),
        "live_relevance": CategoryScore("live_relevance", 16, 8),
        "format_sensitivity": CategoryScore("format_sensitivity", 52, 40),
    }
    assert compute_ran_overall(cats).n == 4


def test_nothing_that_feeds_the_overall_ran() -> None:
    only_relevance = {"live_relevance": CategoryScore("live_relevance", 2, 1)}
    assert compute_ran_overall(only_relevance).ran is False
    assert section_cells({"live_relevance": Score(0.5, True, 2, 1)})[RAN_OVERALL].ran is False


def test_the_farms_formats_show_it_labelled_and_bfcl_csv_does_not(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    with Session(engine) as s:
        suite = b.suite(s)
        b.run(s, b.model(s, "m"), suite, b.cases("simple_python", "1110"))
        s.commit()
        rows = leaderboard(s)
    engine.dispose()
    (row,) = rows
    assert row.sections[RAN_OVERALL].accuracy == pytest.approx(0.75)
    assert row.sections["overall"].accuracy == pytest.approx(0.1 * 0.75 / 3 / 4)
    data = json.loads(render_json(rows))["leaderboard"][0]["sections"][RAN_OVERALL]
    assert data["accuracy"] == pytest.approx(0.75) and data["n"] == 4
    header = render_csv(rows).splitlines()[0]
    assert (
        "Overall Acc,Overall Acc CI Low,Overall Acc CI High,Overall Acc (Categories Run Only)"
        in header
    )
    assert "75.00%" in render_markdown(rows) and "Overall (ran only)" in render_markdown(rows)
    table = rich_table(rows)
    assert [c.header for c in table.columns][3:5] == ["Overall", "Overall (ran only)"]
    assert "categories that ran" in str(table.caption)
