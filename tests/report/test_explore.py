"""The explorer's queries on PostgreSQL: runs, progress, error kinds, cases, histories."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from farm.report.cases import case_detail, error_family, error_kinds, list_cases
from farm.report.columns import leaderboard_columns
from farm.report.compare import histories, history
from farm.report.explore import list_runs, progress, run_summary, shards, workers
from farm.report.queries import leaderboard
from farm.report.ranking import board_page
from tests.report import builders as b
from tests.ui import data


def test_runs_filter_and_count_from_scores_or_results(db_session: Session) -> None:
    data.build(db_session)
    found, total = list_runs(db_session, model="ALPHA", status="done")
    assert total == 2 and [r.label for r in found] == ["alpha-v2", "alpha-v1"]
    assert (found[0].done, found[0].errors, found[0].correct) == (15, 1, 9)
    live, _ = list_runs(db_session, label="live", suite="bfcl@2026.3.23")
    assert [(r.done, r.n_cases, r.live) for r in live] == [(12, 40, True)]
    assert list_runs(db_session, suite="bfcl@1999")[1] == 0
    assert run_summary(db_session, "beta-live").run_id == data.RUNNING


def test_progress_has_a_live_rate_and_eta_and_none_once_finished(db_session: Session) -> None:
    data.build(db_session)
    now = progress(db_session, data.RUNNING)
    assert (now.done, now.errors, now.n_cases) == (12, 0, 40)
    assert now.rate is not None and now.rate > 0 and now.eta_s is not None
    assert abs(now.eta_s - 28 / now.rate) < 1e-6
    done = progress(db_session, "alpha-v1")
    assert done.rate is None and done.eta_s is None and done.as_json()["finished"]
    assert [s.status for s in shards(db_session, data.RUNNING)][:2] == ["done", "running"]
    assert workers(db_session, data.RUNNING)[0].cases == 12


def test_error_kinds_and_case_filters(db_session: Session) -> None:
    data.build(db_session)
    kinds = {(k.family, k.kind): k.count for k in error_kinds(db_session, data.RUN_B)}
    assert kinds[("inference", "EndpointTransient")] == 1
    assert kinds[("model", "value_error:string")] == 2
    assert kinds[("truncation", "inference:output_truncated")] == 1
    assert error_family(None, "protocol:deviation") == "protocol"
    assert error_family(None, "output_truncated") == "truncation"
    rows, total, per_category = list_cases(db_session, data.RUN_B, verdict="failed")
    assert total == 6 and per_category == {
        "simple_python": 10,
        "irrelevance": 4,
        "multi_turn_base": 1,
    }
    assert [r.case_id for r in rows][:2] == ["simple_python_1", "simple_python_5"]  # natural order
    found, n, _ = list_cases(db_session, data.RUN_A, search="100%_")
    assert n == 0 and not found  # LIKE wildcards are literal
    found, n, _ = list_cases(db_session, data.RUN_A, search="ONERROR", categories=["simple_python"])
    assert [r.case_id for r in found] == ["simple_python_8"]
    detail = case_detail(db_session, data.RUN_B, "multi_turn_base_0")
    assert detail.question == data.MT_TURNS and detail.answer == data.MT_ANSWER
    assert detail.execution_results is not None and detail.error_message.startswith("Model")


def test_histories_match_history_point_for_point(db_session: Session) -> None:
    data.build(db_session)
    both = histories(db_session, models=["alpha", "beta"], suite="bfcl")
    one = history(db_session, model="alpha", suite="bfcl")
    assert [(p.run_id, p.score.accuracy) for p in both["alpha"]] == [
        (p.run_id, p.score.accuracy) for p in one
    ]
    assert both["beta"] == []  # the running run has no scores
    assert all(p.created_at < datetime.now(UTC) for p in both["alpha"])


def test_a_board_page_orders_and_ranks_as_the_whole_board(db_session: Session) -> None:
    suite = b.suite(db_session)
    verdicts = ["1100", "1110", "0110", "1111", "1100"]
    for i, v in enumerate(verdicts):  # ties on Overall, runs missing categories (N/A)
        m = b.model(db_session, f"m{i}")
        cases = b.cases("simple_python", v)
        if i % 2:
            cases += b.cases("live_simple", v[::-1]) + b.cases("multiple", "10")
        b.run(db_session, m, suite, cases, day=i % 3)
    board = leaderboard(db_session)
    columns = {c.key: c for c in leaderboard_columns(board)}
    for key in ("rank", "overall", "simple_python", "non_live", "live", "multiple"):
        for ascending in (True, False):
            sort = columns[key].sort
            assert sort is not None
            expected = sorted(board, key=sort, reverse=not ascending)
            metric = columns[key].metric
            always = metric is not None and metric.never_na
            page = board_page(
                db_session, sort=key, never_na=always, ascending=ascending, offset=1, limit=3, top=2
            )
            assert page is not None and page.total == 5
            got = [(r.run_id, r.rank) for r in page.rows]
            assert got == [(r.run_id, r.rank) for r in expected[1:4]], (key, ascending)
            assert [r.run_id for r in page.top] == [r.run_id for r in expected[:2]]
