"""Format sensitivity after the verdicts: stored statistics, leaderboard columns, bfcl-csv.

Numbers are hand-computed from BFCL's definitions (``format_sensitivity_runner``):
per-configuration accuracy = correct / total; max delta = (max - min) x 100, std = sample
standard deviation x 100, variance = sample variance x 100^2, each rounded to 2 places.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from farm.config import load_settings
from farm.db.engine import make_engine
from farm.db.models import Model, Result, Run, RunScore, Shard, Suite
from farm.finalize import write_run_scores
from farm.report.bfcl_csv import COLUMNS_FORMAT_SENSITIVITY, write_bfcl_csv
from farm.report.columns import compact, leaderboard_columns
from farm.report.queries import leaderboard
from farm.report.render import render_csv, render_json, render_markdown
from farm.suites.sensitivity import all_configs, case_id
from tests.fixtures.minisuite import FS_IDS, load_fs_suite
from tests.report import builders as b

CONFIGS = all_configs()


def fs_id(config_index: int, original: int) -> str:
    """The id of FS_IDS[original] in configuration ``config_index`` (the suite's numbering)."""
    return case_id(original * len(CONFIGS) + config_index, CONFIGS[config_index], FS_IDS[original])


@pytest.fixture
def fs_suite(pg_url: str, farm_home: Path) -> Iterator[tuple[Engine, Suite]]:
    engine = make_engine(pg_url)
    suite = load_fs_suite(load_settings(database_url=pg_url), engine)
    yield engine, suite
    engine.dispose()


def _run(session: Session, suite: Suite, *, source: str, narrowed: list[str] | None) -> Run:
    model = Model(key=f"m-{uuid.uuid4().hex[:6]}", display_name="m", backend="fake", mode="prompt")
    session.add(model)
    session.flush()
    options = {"selection": {"definition": "--cases"}} if narrowed else {}
    run = Run(model_key=model.key, suite_id=suite.id, categories=["format_sensitivity"],
              mode="prompt", source=source, options=options, farm_version="test")  # fmt: skip
    session.add(run)
    session.flush()
    if narrowed:
        session.add(Shard(run_id=run.id, shard_no=0, case_ids=narrowed))
    return run


def _result(run: Run, cid: str, valid: bool, error: str | None = None) -> Result:
    return Result(run_id=run.id, case_id=cid, category="format_sensitivity",
                  valid=None if error else valid, inference_error=error,
                  raw_output=None if error else "x")  # fmt: skip


def _stored(session: Session, run_id: uuid.UUID) -> dict[tuple[str, str], RunScore]:
    rows = session.scalars(select(RunScore).where(RunScore.run_id == run_id))
    return {(r.kind, r.category): r for r in rows}


def test_finalising_stores_each_configuration_and_bfcls_statistics(
    fs_suite: tuple[Engine, Suite], db_session: Session
) -> None:
    _, suite = fs_suite
    planned = [fs_id(c, o) for c in (0, 1, 2) for o in (0, 1)]
    run = _run(db_session, suite, source="run", narrowed=planned)
    db_session.add_all(
        [
            _result(run, fs_id(0, 0), True),
            _result(run, fs_id(0, 1), True),
            _result(run, fs_id(1, 0), True),
            _result(run, fs_id(1, 1), False),
            _result(run, fs_id(2, 0), False, "EndpointTransient"),
            # fs_id(2, 1) was planned and never ran: wrong, counted as an error
        ]
    )
    db_session.flush()
    write_run_scores(db_session, run.id)
    write_run_scores(db_session, run.id)  # recomputing replaces, never duplicates
    got = _stored(db_session, run.id)
    category = got[("category", "format_sensitivity")]
    assert (category.n, category.correct, category.errors, category.accuracy) == (6, 3, 2, 0.5)
    configs = {c: (r.n, r.correct, r.errors, r.accuracy) for (k, c), r in got.items()
               if k == "format_config"}  # fmt: skip
    assert configs == {
        CONFIGS[0]: (2, 2, 0, 1.0),
        CONFIGS[1]: (2, 1, 0, 0.5),
        CONFIGS[2]: (2, 0, 2, 0.0),
    }
    # accuracies 1, .5, 0: max delta 100; sample variance .25 -> 2500; std .5 -> 50
    stats = {c: (r.accuracy, r.n) for (k, c), r in got.items() if k == "format_stat"}
    assert stats == {
        "accuracy_max_delta": (100.0, 3),
        "accuracy_std": (50.0, 3),
        "accuracy_variance": (2500.0, 3),
    }
    # not part of Overall: nothing that feeds it ran
    assert got[("section", "overall")].accuracy == 0.0
    assert got[("section", "overall_ran")].ran is False


def test_every_configuration_of_a_whole_run_counts_its_cases_never_run(
    fs_suite: tuple[Engine, Suite], db_session: Session
) -> None:
    _, suite = fs_suite
    run = _run(db_session, suite, source="run", narrowed=None)
    db_session.add_all([_result(run, fs_id(0, 0), True), _result(run, fs_id(0, 1), True)])
    db_session.flush()
    write_run_scores(db_session, run.id)
    got = _stored(db_session, run.id)
    configs = [r for (k, _), r in got.items() if k == "format_config"]
    assert len(configs) == 26 and sum(r.n for r in configs) == 52
    # accuracies 1 and 25 x 0: mean 1/26, sample variance 1/26 -> 384.62, std 19.61
    stats = {c: r.accuracy for (k, c), r in got.items() if k == "format_stat"}
    assert stats == {
        "accuracy_max_delta": 100.0,
        "accuracy_std": 19.61,
        "accuracy_variance": 384.62,
    }
    assert got[("category", "format_sensitivity")].n == 52


def test_an_imported_run_keeps_bfcls_verdicts_of_the_entries_present(
    fs_suite: tuple[Engine, Suite], db_session: Session
) -> None:
    _, suite = fs_suite
    run = _run(db_session, suite, source="evaluate", narrowed=None)
    db_session.add_all([_result(run, fs_id(0, 0), True), _result(run, fs_id(0, 1), False)])
    db_session.flush()
    write_run_scores(db_session, run.id)
    got = _stored(db_session, run.id)
    assert [c for k, c in got if k == "format_config"] == [CONFIGS[0]]
    # one configuration: BFCL's statistics are 0.0
    assert {c: r.accuracy for (k, c), r in got.items() if k == "format_stat"} == {
        "accuracy_max_delta": 0.0,
        "accuracy_std": 0.0,
        "accuracy_variance": 0.0,
    }


def _fs_cases(verdicts: dict[int, str]) -> list[b.Case]:
    """Results of configuration index -> verdicts of FS_IDS ("10": first right)."""
    return [
        b.Case(fs_id(cfg, o), "format_sensitivity", ch == "1")
        for cfg, chars in verdicts.items()
        for o, ch in enumerate(chars)
    ]


def _board(db_session: Session, tmp_path: Path) -> tuple[list, dict[str, str]]:
    suite = b.suite(db_session)
    m1 = b.model(db_session, "m1", "M1")
    m2 = b.model(db_session, "m2", "M2")
    m3 = b.model(db_session, "m3", "M3")
    simple = b.cases("simple_python", "1110")
    for model, extra in (
        (m1, _fs_cases({0: "11", 1: "10"})),  # 1, .5: delta 50, std 35.36
        (m2, []),  # no format sensitivity: N/A
        (m3, _fs_cases({0: "11", 5: "00"})),  # 1, 0: delta 100, std 70.71
    ):
        run = b.run(db_session, model, suite, simple + extra)
        write_run_scores(db_session, run.id)
    rows = leaderboard(db_session)
    return rows, {p.name: p.read_text() for p in write_bfcl_csv(rows, tmp_path)}


def test_bfcl_csv_writes_data_format_sensitivity_sorted_by_max_delta_with_na(
    db_session: Session, tmp_path: Path
) -> None:
    _, files = _board(db_session, tmp_path)
    header = ",".join(COLUMNS_FORMAT_SENSITIVITY)
    assert header.startswith(
        "Rank,Model,Format Sensitivity Max Delta,Format Sensitivity Standard Deviation,"
        "Config ret_fmt=python&tool_call_tag=True&func_doc_fmt=python&prompt_fmt=plaintext"
        "&style=classic,Config ret_fmt=python&tool_call_tag=True&func_doc_fmt=xml&"
    )
    assert len(COLUMNS_FORMAT_SENSITIVITY) == 4 + 26
    na = ["N/A"] * 26
    m3 = ["100.00%", *na[:4], "0.00%", *na[6:]]
    m1 = ["100.00%", "50.00%", *na[2:]]
    assert files["data_format_sensitivity.csv"] == "\n".join(
        [
            header,
            ",".join(["1", "M3", "100.0", "70.71", *m3]),
            ",".join(["2", "M1", "50.0", "35.36", *m1]),
            ",".join(["3", "M2", "N/A", "N/A", *na]),
        ]
    )


def test_data_overall_carries_the_two_statistics_as_raw_numbers(
    db_session: Session, tmp_path: Path
) -> None:
    _, files = _board(db_session, tmp_path)
    lines = files["data_overall.csv"].split("\n")
    header = lines[0].split(",")
    cut = header.index("Format Sensitivity Max Delta")
    by_model = {row.split(",")[2]: row.split(",")[cut : cut + 2] for row in lines[1:]}
    assert by_model == {"M1": ["50.0", "35.36"], "M2": ["N/A", "N/A"], "M3": ["100.0", "70.71"]}
    # format sensitivity is not part of Overall: the three runs score the same
    assert len({row.split(",")[1] for row in lines[1:]}) == 1


def test_leaderboard_views_show_max_delta_and_std_only_when_a_run_has_them(
    db_session: Session, tmp_path: Path
) -> None:
    rows, _ = _board(db_session, tmp_path)
    headers = [c.header for c in compact(leaderboard_columns(rows), rows)]
    assert "FS Max Delta" in headers and "FS Std" in headers
    without = [r for r in rows if r.display_name == "M2"]
    assert "FS Max Delta" not in [c.header for c in compact(leaderboard_columns(rows), without)]
    markdown = render_markdown(rows)
    m3_line = next(line for line in markdown.splitlines() if "| M3 " in line)
    assert "| 100.0 | 70.71 |" in m3_line
    csv_lines = render_csv(rows).splitlines()
    assert "Format Sensitivity Max Delta" in csv_lines[0].split(",")
    assert "Format Sensitivity Acc" in csv_lines[0].split(",")
    data = {r["display_name"]: r for r in json.loads(render_json(rows))["leaderboard"]}
    assert data["M2"]["format_sensitivity"] is None
    m1 = data["M1"]["format_sensitivity"]
    assert (m1["accuracy_max_delta"], m1["accuracy_std"], m1["accuracy_variance"]) == (
        50.0,
        35.36,
        1250.0,
    )
    assert m1["configs"][CONFIGS[1]]["correct"] == 1
