"""Leaderboard, comparison and history queries on the real PostgreSQL."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from farm.db.lookup import resolve_run_id as resolve_run
from farm.errors import ConfigError, RunError, SuiteError
from farm.report.compare import compare, history
from farm.report.queries import leaderboard
from farm.report.stats import mcnemar_exact, wilson_interval
from tests.report import builders as b


@pytest.fixture
def board(db_session: Session) -> dict[str, object]:
    suite = b.suite(db_session)
    alpha = b.model(db_session, "alpha", "Alpha (FC)", url="https://a.example", org="A")
    beta = b.model(db_session, "beta", "Beta (Prompt)")
    old = b.run(
        db_session,
        alpha,
        suite,
        b.cases("simple_python", "1100") + b.cases("live_simple", "10"),
        day=0,
        label="alpha-v1",
    )
    new = b.run(
        db_session,
        alpha,
        suite,
        b.cases("simple_python", "1011") + b.cases("live_simple", "11"),
        day=1,
        label="alpha-v2",
    )
    other = b.run(
        db_session,
        beta,
        suite,
        [
            b.Case("simple_python_0", "simple_python", True, latency=1.0, tokens=(10, 2)),
            b.Case("simple_python_1", "simple_python", True, latency=2.0, tokens=(10, 2)),
            b.Case("simple_python_2", "simple_python", False, latency=4.0),
            b.Case("simple_python_3", "simple_python", False, inference_error="EndpointTransient"),
        ],
        day=2,
    )
    return {"suite": suite, "old": old, "new": new, "other": other}


def test_leaderboard_ranks_runs_by_overall_and_reports_coverage(
    db_session: Session, board: dict[str, object]
) -> None:
    rows = leaderboard(db_session, suite="bfcl")
    assert [r.label for r in rows] == ["alpha-v2", "alpha-v1", None]
    assert [r.rank for r in rows] == [1, 2, 3]
    top = rows[0]
    assert top.categories_ran == ["simple_python", "live_simple"]  # BFCL order
    assert top.n_cases == 6
    assert top.categories["simple_python"].accuracy == 0.75
    assert (top.categories["simple_python"].ci_low, top.categories["simple_python"].ci_high) == (
        pytest.approx(wilson_interval(3, 4))
    )
    # simple U over 3 (java, js missing) -> /3, then non_live U over 4 -> /4; live W over
    # 2 + missing sizes of parallel (16) and parallel_multiple (24) plus 1053 multiple.
    assert top.sections["non_live_simple"].accuracy == pytest.approx(0.75 / 3)
    assert top.sections["live"].accuracy == pytest.approx(2 / (2 + 1053 + 16 + 24))
    assert not top.sections["overall"].ran
    assert top.model_info == {"url": "https://a.example", "org": "A"}


def test_leaderboard_counts_inference_errors_and_computes_latency_like_bfcl(
    db_session: Session, board: dict[str, object]
) -> None:
    (row,) = [r for r in leaderboard(db_session) if r.model_key == "beta"]
    assert row.errors == 1
    assert row.latency is not None
    assert row.latency.count == 3
    assert row.latency.mean == round(statistics.mean([1.0, 2.0, 4.0]), 2)
    assert row.latency.std == round(statistics.stdev([1.0, 2.0, 4.0]), 2)
    assert row.latency.p95 == round(2.0 + (4.0 - 2.0) * 0.9, 2)  # numpy linear: pos 1.9
    assert row.latency.input_tokens == 20
    assert row.latency.cost == round(7.0 / 3600 * 23.92 / 100, 2)


def test_latest_per_model_keeps_the_newest_run_of_each_model(
    db_session: Session, board: dict[str, object]
) -> None:
    rows = leaderboard(db_session, latest_per_model=True)
    assert sorted((r.model_key, r.label) for r in rows) == [("alpha", "alpha-v2"), ("beta", None)]


def test_leaderboard_of_named_runs_only(db_session: Session, board: dict[str, object]) -> None:
    rows = leaderboard(db_session, runs=["alpha-v1"])
    assert [r.label for r in rows] == ["alpha-v1"]


def test_unknown_suite_is_a_suite_error_naming_the_known_ones(
    db_session: Session, board: dict[str, object]
) -> None:
    with pytest.raises(SuiteError, match=r"no version '1999\.1\.1'; loaded: (.*, )?2026\.3\.23"):
        leaderboard(db_session, suite="bfcl@1999.1.1")
    with pytest.raises(SuiteError, match=r"unknown suite 'nope'; loaded: (.*, )?bfcl"):
        leaderboard(db_session, suite="nope")


def test_runs_resolve_by_id_prefix_and_label(db_session: Session, board: dict[str, object]) -> None:
    run = board["old"]
    assert resolve_run(db_session, str(run.id)) == run.id  # type: ignore[attr-defined]
    assert resolve_run(db_session, run.id.hex[:12]) == run.id  # type: ignore[attr-defined]
    assert resolve_run(db_session, "alpha-v1") == run.id  # type: ignore[attr-defined]
    with pytest.raises(RunError, match="no run matches"):
        resolve_run(db_session, "nope-nope")


def test_compare_lists_regressions_first_and_tests_shared_cases(
    db_session: Session, board: dict[str, object]
) -> None:
    cmp = compare(db_session, "alpha-v1", "alpha-v2")
    # simple_python 1100 -> 1011: case 1 regressed, 2 and 3 improved; live_simple 10 -> 11.
    assert [c.case_id for c in cmp.regressions] == ["simple_python_1"]
    assert [c.case_id for c in cmp.improvements] == [
        "simple_python_2",
        "simple_python_3",
        "live_simple_1",
    ]
    by_cat = {s.name: s for s in cmp.categories}
    sp = by_cat["simple_python"]
    assert (sp.shared, sp.only_a, sp.only_b) == (4, 1, 2)
    assert sp.p_value == pytest.approx(mcnemar_exact(1, 2))
    assert sp.delta == pytest.approx(0.25)
    overall = {s.name: s for s in cmp.sections}["overall"]
    assert (overall.shared, overall.only_a, overall.only_b) == (6, 1, 3)
    assert overall.p_value == pytest.approx(mcnemar_exact(1, 3))
    assert overall.delta is not None and overall.delta > 0


def test_compare_refuses_runs_on_different_suite_versions_unless_told(
    db_session: Session, board: dict[str, object]
) -> None:
    newer = b.suite(db_session, version="2027.1.1")
    alpha = db_session.get(b.Model, "alpha")
    assert alpha is not None
    b.run(db_session, alpha, newer, b.cases("simple_python", "0000"), day=5, label="alpha-v3")
    with pytest.raises(ConfigError, match="different suite versions"):
        compare(db_session, "alpha-v2", "alpha-v3")
    cmp = compare(db_session, "alpha-v2", "alpha-v3", allow_different_suites=True)
    assert not cmp.same_suite
    assert [c.case_id for c in cmp.regressions] == [
        "simple_python_0",
        "simple_python_2",
        "simple_python_3",
    ]


def test_comparing_a_run_with_itself_is_refused(
    db_session: Session, board: dict[str, object]
) -> None:
    with pytest.raises(RunError, match="same run"):
        compare(db_session, "alpha-v1", "alpha-v1")


def test_history_lists_a_models_runs_oldest_first(
    db_session: Session, board: dict[str, object]
) -> None:
    points = history(db_session, model="Alpha (FC)", category="simple_python")
    assert [p.label for p in points] == ["alpha-v1", "alpha-v2"]
    assert [p.score.accuracy for p in points] == [0.5, 0.75]
    overall = history(db_session, model="alpha")
    assert [p.metric for p in overall] == ["overall", "overall"]


def test_history_rejects_unknown_models_and_categories(
    db_session: Session, board: dict[str, object]
) -> None:
    with pytest.raises(ConfigError, match="unknown model"):
        history(db_session, model="gamma")
    with pytest.raises(ConfigError, match="unknown category"):
        history(db_session, model="alpha", category="simple_cobol")


def test_flipped_cases_sort_by_bfcl_category_then_natural_case_number(
    db_session: Session,
) -> None:
    suite = b.suite(db_session)
    m = b.model(db_session, "m", "M")
    before = b.cases("multiple", "1" * 12) + b.cases("simple_python", "1" * 12)
    after = b.cases("multiple", "0" * 12) + b.cases("simple_python", "1" * 10 + "00")
    b.run(db_session, m, suite, before, day=0, label="before")
    b.run(db_session, m, suite, after, day=1, label="after")
    cmp = compare(db_session, "before", "after")
    ids = [c.case_id for c in cmp.regressions]
    assert ids[:2] == ["simple_python_10", "simple_python_11"]
    assert ids[2:5] == ["multiple_0", "multiple_1", "multiple_2"]
    assert ids[-1] == "multiple_11"
    assert cmp.improvements == []


def test_latency_and_tokens_agree_between_sqlite_and_postgres(
    db_session: Session, tmp_path: Path
) -> None:
    from farm.db.engine import make_engine
    from farm.db.migrate import upgrade

    latencies = [0.5, 1.25, 0.0, 3.0, 7.5, 2.0]

    def fill(session: Session) -> list[float | None]:
        suite = b.suite(session)
        m = b.model(session, "lat", "Lat")
        cases = [
            b.Case(f"simple_python_{i}", "simple_python", True, latency=v, tokens=(i, 1))
            for i, v in enumerate(latencies)
        ]
        b.run(session, m, suite, cases)
        (row,) = leaderboard(session)
        assert row.latency is not None
        lat = row.latency
        return [lat.count, lat.mean, lat.std, lat.p95, lat.input_tokens, lat.cost]

    engine = make_engine(f"sqlite:///{tmp_path / 'lat.db'}")
    upgrade(engine)
    with Session(engine) as sqlite_session:
        on_sqlite = fill(sqlite_session)
    engine.dispose()
    on_postgres = fill(db_session)
    nonzero = sorted(v for v in latencies if v > 0)
    expected_p95 = nonzero[3] + (nonzero[4] - nonzero[3]) * 0.8  # numpy linear, pos 3.8
    assert (
        on_postgres
        == on_sqlite
        == [
            5,
            round(statistics.mean(nonzero), 2),
            round(statistics.stdev(nonzero), 2),
            round(expected_p95, 2),
            15,
            round(sum(nonzero) / 3600 * 23.92 / 100, 2),
        ]
    )


def test_irrelevance_means_the_category_in_categories_and_history_and_the_section_elsewhere(
    db_session: Session,
) -> None:
    suite = b.suite(db_session)
    m = b.model(db_session, "irr", "Irr")
    b.run(
        db_session,
        m,
        suite,
        b.cases("irrelevance", "1111") + b.cases("live_irrelevance", "0000"),
        label="r1",
    )
    b.run(
        db_session,
        m,
        suite,
        b.cases("irrelevance", "1100") + b.cases("live_irrelevance", "0000"),
        day=1,
        label="r2",
    )
    cmp = compare(db_session, "r1", "r2")
    category = {s.name: s for s in cmp.categories}["irrelevance"]
    section = {s.name: s for s in cmp.sections}["irrelevance"]
    assert category.a is not None and category.a.accuracy == 1.0
    assert section.a is not None and section.a.accuracy == 0.5
    assert (category.shared, section.shared) == (4, 8)
    points = history(db_session, model="irr", category="irrelevance")
    assert [p.score.accuracy for p in points] == [1.0, 0.5]
    rows = leaderboard(db_session)
    assert rows[0].score("irrelevance") is rows[0].sections["irrelevance"]


def test_latest_per_model_among_named_runs_keeps_the_newest_named_one(
    db_session: Session, board: dict[str, object]
) -> None:
    rows = leaderboard(db_session, runs=["alpha-v1", "alpha-v2"], latest_per_model=True)
    assert [r.label for r in rows] == ["alpha-v2"]
    rows = leaderboard(db_session, runs=["alpha-v1"], latest_per_model=True)
    assert [r.label for r in rows] == ["alpha-v1"]


def test_runs_resolve_by_id_prefix_on_sqlite_too(tmp_path: Path) -> None:
    from farm.db.engine import make_engine
    from farm.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'ids.db'}")
    upgrade(engine)
    with Session(engine) as session:
        run = b.run(session, b.model(session, "s"), b.suite(session), b.cases("simple_python", "1"))
        assert resolve_run(session, run.id.hex[:8]) == run.id
        assert resolve_run(session, str(run.id)[:13]) == run.id  # with the dash
        with pytest.raises(RunError):
            resolve_run(session, "ffff0000ffff")
    engine.dispose()
