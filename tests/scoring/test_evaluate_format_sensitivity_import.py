"""`farm evaluate` scores BFCL's format-sensitivity result file and stores its statistics;
an FC import skips it with a reason, as BFCL runs the category for prompt models only."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from farm.config import load_settings
from farm.db.engine import make_engine
from farm.db.models import RunScore, Suite
from farm.suites.case import Case
from farm.suites.sensitivity import all_configs
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_fs_suite
from tests.scoring.test_evaluate import _right_answer, _write_tree

CONFIGS = all_configs()
#: configuration index -> verdict per original case (Python calls, no tags: decodable today)
PLAN = {5: "11", 24: "10", 25: "00"}


@pytest.fixture
def fs(pg_url: str, farm_home: Path) -> Iterator[tuple[Engine, Suite, list[Case]]]:
    engine = make_engine(pg_url)
    suite = load_fs_suite(load_settings(database_url=pg_url), engine)
    with Session(engine) as session:
        cases = load_cases(session, suite.id)
    yield engine, suite, cases
    engine.dispose()


def _entries(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for p in folder.glob("*.json") for line in p.read_text().splitlines()]


def _tree(cases: list[Case], root: Path) -> Path:
    by_id = {c.case_id: c for c in cases}
    entries: dict[str, list[dict[str, Any]]] = {"simple_python": [], "format_sensitivity": []}
    for case in cases:
        if case.category == "simple_python":
            entries["simple_python"].append({"id": case.case_id, "result": _right_answer(case)})
    fs_cases = [c for c in cases if c.category == "format_sensitivity"]
    for cfg, verdicts in PLAN.items():
        mine = [c for c in fs_cases if c.case_id.split(":")[1] == CONFIGS[cfg]]
        for case, verdict in zip(mine, verdicts, strict=True):
            original = by_id[case.extra["original_id"]]
            raw = _right_answer(original) if verdict == "1" else "[no_such_function(x=1)]"
            entries["format_sensitivity"].append({"id": case.case_id, "result": raw})
    return _write_tree(root, entries)


def test_evaluate_scores_the_format_sensitivity_file_and_stores_its_statistics(
    fs: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    engine, suite, cases = fs
    tree = _tree(cases, tmp_path / "result" / "p-model")
    proc = run_farm("evaluate", "--bfcl-results", str(tree), "--mode", "prompt", "--model",
                    "p-model", "--suite", f"bfcl@{suite.version}", "--json",
                    env={"FARM_DATABASE_URL": pg_url})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "[format_sensitivity] max delta 100.0, std 50.0, variance 2500.0" in proc.stdout
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["categories"]["format_sensitivity"]["correct"] == 3
    assert summary["categories"]["format_sensitivity"]["n"] == 6
    assert summary["format_sensitivity"] == {
        "accuracy_max_delta": 100.0,
        "accuracy_std": 50.0,
        "accuracy_variance": 2500.0,
    }
    with Session(engine) as session:
        rows = session.scalars(
            select(RunScore).where(
                RunScore.run_id == uuid.UUID(summary["run_id"]), RunScore.kind == "format_config"
            )
        ).all()
    assert {r.category: (r.correct, r.n) for r in rows} == {
        CONFIGS[5]: (2, 2),
        CONFIGS[24]: (1, 2),
        CONFIGS[25]: (0, 2),
    }
    fs_ids = {e["id"] for e in _entries(tree / "format_sensitivity")}
    env = {"FARM_DATABASE_URL": pg_url}
    as_jsonl = run_farm("export", summary["run_id"], "--format", "jsonl", env=env)
    exported = {json.loads(line)["id"] for line in as_jsonl.stdout.splitlines()}
    as_csv = run_farm("export", summary["run_id"], "--format", "csv", env=env)
    from_csv = {row["id"] for row in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert fs_ids <= exported and fs_ids <= from_csv  # colons, & and = intact


def test_an_fc_import_skips_the_format_sensitivity_file_with_a_reason(
    fs: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    _, suite, cases = fs
    tree = _tree(cases, tmp_path / "result" / "f-model")
    proc = run_farm("evaluate", "--bfcl-results", str(tree), "--mode", "fc", "--model",
                    "f-model", "--suite", f"bfcl@{suite.version}", "--json",
                    env={"FARM_DATABASE_URL": pg_url})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "format_sensitivity" not in summary["categories"]
    assert summary["format_sensitivity"] is None
    (skipped,) = summary["skipped_files"]
    assert skipped.startswith("BFCL_v4_format_sensitivity_result.json (")
    assert "prompt mode only" in skipped


def test_an_fc_import_of_only_format_sensitivity_says_why_nothing_is_scored(
    fs: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    """A tree holding only the format-sensitivity file under --mode fc: the one-line error
    names the skipped file and the reason, not just 'no file matches a category'."""
    _, suite, cases = fs
    tree = _tree(cases, tmp_path / "result" / "f-model")
    (tree / "non_live" / "BFCL_v4_simple_python_result.json").unlink()
    proc = run_farm("evaluate", "--bfcl-results", str(tree), "--mode", "fc", "--model",
                    "f-model", "--suite", f"bfcl@{suite.version}",
                    env={"FARM_DATABASE_URL": pg_url})  # fmt: skip
    assert proc.returncode != 0
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("farm: error: no result file under ")
    assert "BFCL_v4_format_sensitivity_result.json (" in line
    assert "prompt mode only" in line


def test_a_rescore_of_a_partial_import_scores_the_same_entries_and_statistics(
    fs: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    """`farm rescore` of a `farm evaluate` run of a partial tree: BFCL's --partial-eval
    scores the entries present, and so does the rescore (it counted the 46 format-sensitivity
    cases the tree never had as wrong and gave 26 configurations: max delta 100.0 -> 0/2)."""
    _, suite, cases = fs
    tree = _tree(cases, tmp_path / "result" / "p-model")
    env = {"FARM_DATABASE_URL": pg_url}
    proc = run_farm("evaluate", "--bfcl-results", str(tree), "--mode", "prompt", "--model",
                    "p-model", "--suite", f"bfcl@{suite.version}", "--json", env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    source = json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]
    rescored = run_farm("rescore", source, env=env)
    assert rescored.returncode == 0, rescored.stderr
    status = json.loads(run_farm("status", "--json", env=env).stdout)
    assert status["source"] == "rescore" and status["run_id"] != source
    scores = status["scores"]
    assert (scores["format_sensitivity"]["n"], scores["format_sensitivity"]["correct"]) == (6, 3)
    configs = {k: (v["correct"], v["n"]) for k, v in scores.items() if v["kind"] == "format_config"}
    assert configs == {CONFIGS[5]: (2, 2), CONFIGS[24]: (1, 2), CONFIGS[25]: (0, 2)}
    assert scores["accuracy_max_delta"]["accuracy"] == 100.0
