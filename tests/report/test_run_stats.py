"""Per-run latency and token summaries (run_stats): written at scoring, read by the board."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import downgrade, upgrade
from farm.db.models import Run, RunStats
from farm.finalize import write_run_scores
from farm.report.queries import leaderboard
from tests.conftest import create_database, drop_database
from tests.report import builders as b

LATENCIES = [0.5, 1.25, 3.0, 0.75, 2.0]


@pytest.fixture(params=["postgresql", "sqlite"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    if request.param == "postgresql":
        yield request.getfixturevalue("db_session")
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'stats.db'}")
    upgrade(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _run(session: Session) -> Run:
    suite = b.suite(session)
    alpha = b.model(session, "alpha", "Alpha")
    cases = [
        b.Case(f"simple_python_{i}", "simple_python", i % 2 == 0, latency=x, tokens=(100, 10 + i))
        for i, x in enumerate(LATENCIES)
    ]
    cases.append(b.Case("simple_python_9", "simple_python", False, latency=0.0, tokens=(7, 0)))
    return b.run(session, alpha, suite, cases, label="v1")


def test_scoring_a_run_stores_bfcl_latency_figures_and_token_sums(session: Session) -> None:
    run = _run(session)
    write_run_scores(session, run.id)
    stats = session.get(RunStats, run.id)
    assert stats is not None
    assert stats.latency_n == 5  # the zero latency does not count, as in BFCL
    assert stats.latency_mean == pytest.approx(statistics.mean(LATENCIES))
    assert stats.latency_std == pytest.approx(statistics.stdev(LATENCIES))
    ordered = sorted(LATENCIES)  # numpy linear: position 0.95 * 4 = 3.8
    assert stats.latency_p95 == pytest.approx(ordered[3] + (ordered[4] - ordered[3]) * 0.8)
    assert stats.latency_total_s == pytest.approx(sum(LATENCIES))
    assert (stats.input_tokens, stats.output_tokens) == (507, 60)


def test_rescoring_replaces_the_summary(session: Session) -> None:
    run = _run(session)
    write_run_scores(session, run.id)
    write_run_scores(session, run.id)
    assert session.get(RunStats, run.id) is not None


def test_the_leaderboard_reads_the_stored_summary(session: Session) -> None:
    run = _run(session)
    write_run_scores(session, run.id)
    session.execute(update(RunStats).where(RunStats.run_id == run.id).values(latency_mean=9.876))
    (row,) = leaderboard(session)
    assert row.latency is not None and row.latency.mean == 9.88
    cell = row.categories["simple_python"]  # the scores are keyed right on either database
    assert (cell.n, cell.correct, cell.ran) == (6, 3, True)
    assert row.sections["non_live"].n == 6


def test_a_run_without_a_stored_summary_is_summarised_on_read(session: Session) -> None:
    _run(session)  # scores written directly, as by a farm older than run_stats
    (row,) = leaderboard(session)
    assert row.latency is not None
    assert row.latency.count == 5
    assert row.latency.mean == round(statistics.mean(LATENCIES), 2)
    assert row.latency.std == round(statistics.stdev(LATENCIES), 2)
    assert row.latency.input_tokens == 507


def test_migration_0004_backfills_scored_runs_on_postgres() -> None:
    url = create_database("farm_stats")
    engine = make_engine(url)
    try:
        upgrade(engine)  # rows written with today's models, then taken back to before 0004
        with Session(engine) as s:
            run_id = _run(s).id
            s.commit()
        downgrade(engine, "0003")
        upgrade(engine)
        with Session(engine) as s:
            stats = s.get(RunStats, run_id)
            assert stats is not None
            assert stats.latency_n == 5
            assert stats.latency_mean == pytest.approx(statistics.mean(LATENCIES))
            assert stats.latency_p95 == pytest.approx(2.8)
            assert (stats.input_tokens, stats.output_tokens) == (507, 60)
    finally:
        engine.dispose()
        drop_database(url)


def test_building_rows_leaves_the_garbage_collector_as_it_was(session: Session) -> None:
    _run(session)
    assert gc.isenabled()
    leaderboard(session)
    assert gc.isenabled()
    gc.disable()
    try:
        leaderboard(session)
        assert not gc.isenabled()
    finally:
        gc.enable()
