"""BFCL score CSVs against hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from farm.report.bfcl_csv import COLUMNS_OVERALL, write_bfcl_csv
from farm.report.queries import leaderboard
from tests.report import builders as b

FULL = {
    "simple_python": "1110",
    "simple_java": "10",
    "simple_javascript": "1",
    "multiple": "10",
    "parallel": "00",
    "parallel_multiple": "11",
    "irrelevance": "1110",
    "live_simple": "10",
    "live_multiple": "11111100",
    "live_parallel": "0",
    "live_parallel_multiple": "1",
    "live_irrelevance": "1000",
    "live_relevance": "10",
    "multi_turn_base": "10",
    "multi_turn_miss_func": "00",
    "multi_turn_miss_param": "11",
    "multi_turn_long_context": "1000",
}


def _write(db_session: Session, tmp_path: Path) -> dict[str, str]:
    suite = b.suite(db_session)
    m1 = b.model(db_session, "m1", "M1 (FC)")
    m2 = b.model(db_session, "m2", "M2, Prompt", url="https://m2.example", license="MIT")
    b.run(db_session, m1, suite, [c for cat, v in FULL.items() for c in b.cases(cat, v)])
    b.run(
        db_session,
        m2,
        suite,
        [
            b.Case("simple_python_0", "simple_python", True, latency=1.0),
            b.Case("simple_python_1", "simple_python", True, latency=3.0),
        ],
        day=1,
    )
    paths = write_bfcl_csv(leaderboard(db_session), tmp_path)
    return {p.name: p.read_text() for p in paths}


def test_data_overall_matches_bfcl_columns_numbers_and_na_rules(
    db_session: Session, tmp_path: Path
) -> None:
    files = _write(db_session, tmp_path)
    lines = files["data_overall.csv"].split("\n")
    assert lines[0] == ",".join(COLUMNS_OVERALL)
    na7 = ["N/A"] * 7
    m1 = [
        "1", "30.42%", "M1 (FC)", "N/A", "N/A", "N/A", "N/A", "N/A",
        "56.25%", "75.00%", "50.00%", "0.00%", "100.00%",
        "66.67%", "50.00%", "75.00%", "0.00%", "100.00%",
        "43.75%", "50.00%", "0.00%", "100.00%", "25.00%",
        *na7, "50.00%", "50.00%", "N/A", "N/A", "N/A", "N/A",
    ]  # fmt: skip
    m2 = [
        "2", "0.83%", "M2; Prompt", "https://m2.example", "0.0", "2.0", "1.41", "2.9",
        "N/A", "N/A", "N/A", "N/A", "N/A",
        "0.00%", "N/A", "N/A", "N/A", "N/A",
        "0.00%", "N/A", "N/A", "N/A", "N/A",
        *na7, "N/A", "N/A", "N/A", "N/A", "N/A", "MIT",
    ]  # fmt: skip
    assert lines[1:] == [",".join(m1), ",".join(m2)]
    assert all(len(line.split(",")) == len(COLUMNS_OVERALL) for line in lines)


def test_group_files_use_their_own_sort_column_and_summaries(
    db_session: Session, tmp_path: Path
) -> None:
    files = _write(db_session, tmp_path)
    assert files["data_non_live.csv"] == "\n".join(
        [
            "Rank,Model,Non-Live Overall Acc,AST Summary,Simple AST,Python Simple AST,"
            "Java Simple AST,JavaScript Simple AST,Multiple AST,Parallel AST,"
            "Parallel Multiple AST,Irrelevance Detection",
            "1,M1 (FC),56.25%,56.25%,75.00%,75.00%,50.00%,100.00%,50.00%,0.00%,100.00%,75.00%",
            "2,M2; Prompt,8.33%,N/A,N/A,100.00%,N/A,N/A,N/A,N/A,N/A,N/A",
        ]
    )
    assert files["data_live.csv"].split("\n")[1:] == [
        "1,M1 (FC),66.67%,66.67%,50.00%,75.00%,0.00%,100.00%,25.00%,50.00%",
        "2,M2; Prompt,0.00%,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
    ]
    assert files["data_multi_turn.csv"] == "\n".join(
        [
            "Rank,Model,Multi Turn Overall Acc,Base,Miss Func,Miss Param,Long Context",
            "1,M1 (FC),43.75%,50.00%,0.00%,100.00%,25.00%",
            "2,M2; Prompt,0.00%,N/A,N/A,N/A,N/A",
        ]
    )


def test_files_have_no_trailing_newline_and_no_quoting(db_session: Session, tmp_path: Path) -> None:
    files = _write(db_session, tmp_path)
    assert {"data_overall.csv", "data_non_live.csv", "data_live.csv", "data_multi_turn.csv"} <= set(
        files
    )
    for content in files.values():
        assert not content.endswith("\n")
        assert '"' not in content


def test_ties_keep_the_order_the_runs_were_named_in_like_bfcl_model_lists(
    db_session: Session, tmp_path: Path
) -> None:
    suite = b.suite(db_session)
    for key in ("z-model", "a-model", "m-model"):
        b.run(
            db_session, b.model(db_session, key), suite, b.cases("simple_python", "10"), label=key
        )
    for order in (["m-model", "z-model", "a-model"], ["a-model", "m-model", "z-model"]):
        rows = leaderboard(db_session, runs=order)
        files = {p.name: p.read_text() for p in write_bfcl_csv(rows, tmp_path)}
        names = [line.split(",")[1] for line in files["data_multi_turn.csv"].split("\n")[1:]]
        assert names == order
