"""The SQL views of migration 0002, on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from tests.conftest import create_database, drop_database
from tests.report import builders as b


@pytest.fixture(params=["postgresql", "sqlite"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    # A database of its own: the views read every row, and other tests commit runs into the
    # session's shared database.
    url = create_database("farm_views") if request.param == "postgresql" else None
    engine = make_engine(url or f"sqlite:///{tmp_path / 'views.db'}")
    upgrade(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()
    if url:
        drop_database(url)


def _fill(session: Session) -> None:
    suite = b.suite(session)
    alpha = b.model(session, "alpha", "Alpha")
    b.run(session, alpha, suite, b.cases("simple_python", "1100"), day=0, label="v1")
    b.run(
        session,
        alpha,
        suite,
        b.cases("simple_python", "1110")
        + [b.Case("live_simple_0", "live_simple", False, inference_error="EndpointTransient")],
        day=1,
        label="v2",
    )


def test_leaderboard_view_has_one_row_per_scored_run_with_sections(session: Session) -> None:
    _fill(session)
    rows = session.execute(
        text(
            "SELECT label, non_live, live, categories_run, cases, inference_errors "
            "FROM leaderboard ORDER BY created_at"
        )
    ).all()
    assert [r[0] for r in rows] == ["v1", "v2"]
    assert rows[0][1] == pytest.approx(0.5 / 3 / 4)
    assert rows[1][1] == pytest.approx(0.75 / 3 / 4)
    assert rows[1][2] == pytest.approx(0.0)
    assert [(r[3], r[4], r[5]) for r in rows] == [(1, 4, 0), (2, 5, 1)]


def test_run_history_view_gives_deltas_and_recency(session: Session) -> None:
    _fill(session)
    rows = session.execute(
        text("SELECT label, overall_delta, recency FROM run_history ORDER BY created_at")
    ).all()
    assert rows[0][1] is None
    assert rows[1][1] == pytest.approx(0.1 * 0.25 / 3 / 4)
    assert [r[2] for r in rows] == [2, 1]
    latest = session.execute(text("SELECT label FROM latest_leaderboard")).scalars().all()
    assert latest == ["v2"]


def test_category_and_section_views_split_the_scores(session: Session) -> None:
    _fill(session)
    cats = session.execute(
        text("SELECT category, correct FROM category_scores WHERE label = 'v2' ORDER BY category")
    ).all()
    assert [tuple(r) for r in cats] == [("live_simple", 0), ("simple_python", 3)]
    sections = session.execute(
        text("SELECT section FROM section_scores WHERE label = 'v2'")
    ).scalars()
    assert "overall" in set(sections)


def _fill_format_sensitivity(session: Session) -> None:
    from farm.finalize import write_run_scores
    from farm.suites.sensitivity import all_configs, case_id

    suite = b.suite(session)
    configs = all_configs()
    fs = [b.Case(case_id(i, configs[i], "simple_python_0"), "format_sensitivity", ok)
          for i, ok in enumerate((True, True, False))]  # fmt: skip
    for key, cases in (("fs", fs), ("plain", b.cases("simple_python", "10"))):
        run = b.run(session, b.model(session, key), suite, cases, label=key)
        write_run_scores(session, run.id)


def test_leaderboard_view_has_the_format_sensitivity_statistics(session: Session) -> None:
    _fill_format_sensitivity(session)
    rows = session.execute(
        text(
            "SELECT label, format_sensitivity_max_delta, format_sensitivity_std, categories_run, "
            "cases FROM leaderboard ORDER BY label"
        )
    ).all()
    # accuracies 1, 1, 0: max delta 100, sample std sqrt(1/3) = 57.74
    assert [tuple(r) for r in rows] == [("fs", 100.0, 57.74, 1, 3), ("plain", None, None, 1, 2)]
    configs = session.execute(
        text(
            "SELECT label, configuration, n, correct, accuracy FROM format_sensitivity_configs "
            "ORDER BY configuration"
        )
    ).all()
    assert len(configs) == 3 and {r[0] for r in configs} == {"fs"}
    assert sorted(r[4] for r in configs) == [0.0, 1.0, 1.0]


def test_downgrading_0013_drops_the_format_sensitivity_view_and_columns(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from farm.db.migrate import downgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'down.db'}")
    upgrade(engine)
    downgrade(engine, "0012")
    inspector = inspect(engine)
    assert "format_sensitivity_configs" not in inspector.get_view_names()
    columns = {c["name"] for c in inspector.get_columns("leaderboard")}
    assert "format_sensitivity_max_delta" not in columns and "web_search" in columns
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("latest_leaderboard")}
    assert {"format_sensitivity_max_delta", "format_sensitivity_std", "recency"} <= columns
    engine.dispose()
