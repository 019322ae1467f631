"""`farm evaluate` and `farm export` end to end on the real PostgreSQL with the mini suite."""

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
from farm.db.models import Model, Result, Run, RunScore, Suite
from farm.suites.case import Case
from farm.suites.categories import GROUP_DIR
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite


@pytest.fixture
def mini(pg_url: str, farm_home: Path) -> Iterator[tuple[Engine, Suite, list[Case]]]:
    engine = make_engine(pg_url)
    suite = load_mini_suite(load_settings(database_url=pg_url), engine)
    with Session(engine) as session:
        cases = load_cases(session, suite.id)
    yield engine, suite, cases
    engine.dispose()


def _right_answer(case: Case) -> str:
    calls = []
    for item in case.answer or []:
        name, params = next(iter(item.items()))
        args = []
        for param, options in params.items():
            chosen = next((o for o in options if o != ""), None)
            if chosen is not None and not isinstance(chosen, dict):
                args.append(f"{param}={chosen!r}")
            elif isinstance(chosen, dict):
                flat = {k: next(o for o in v if o != "") for k, v in chosen.items() if v != [""]}
                args.append(f"{param}={flat!r}")
        calls.append(f"{name}({', '.join(args)})")
    return "[" + ", ".join(calls) + "]"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: next(o for o in v if o != "") for k, v in value.items() if v != [""]}
    return value


def _write_tree(root: Path, entries: dict[str, list[dict[str, Any]]]) -> Path:
    for category, lines in entries.items():
        folder = root / GROUP_DIR[category]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"BFCL_v4_{category}_result.json"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return root


def _farm(pg_url: str, *args: str) -> Any:
    return run_farm(*args, env={"FARM_DATABASE_URL": pg_url})


def test_evaluate_stores_scores_and_exports_a_result_tree(
    mini: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    engine, suite, cases = mini
    entries: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        if case.category in ("simple_python", "multiple", "parallel"):
            raw: Any = _right_answer(case)
        elif case.category in ("irrelevance", "live_irrelevance"):
            raw = "No function fits this request."
        elif case.category == "simple_java":
            raw = "I would rather not."
        elif case.category == "multi_turn_base":
            raw = "Error during inference: upstream timed out"
        else:
            continue
        entries.setdefault(case.category, []).append(
            {"id": case.case_id, "result": raw, "latency": 1.5, "input_token_count": 10}
        )
    entries["parallel"] = entries["parallel"][:1]  # a partial category
    # BFCL's rule for imported files: a failed inference on irrelevance is an abstention
    entries["irrelevance"][0]["result"] = "Error during inference: connection refused"
    entries["simple_python"][0]["result"] += "\u0000\ud800"  # unstorable as-is in PostgreSQL
    tree = _write_tree(tmp_path / "result" / "my-model", entries)

    proc = _farm(pg_url, "evaluate", "--bfcl-results", str(tree), "--mode", "prompt",
                 "--model", "my-model", "--suite", f"bfcl@{suite.version}", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "partial" in proc.stdout and summary["partial"] == ["parallel"]
    run_id = uuid.UUID(summary["run_id"])
    cats = summary["categories"]
    assert cats["simple_python"]["correct"] == cats["simple_python"]["n"] - 1
    assert cats["multiple"]["correct"] == cats["multiple"]["n"] > 0
    assert cats["irrelevance"]["correct"] == cats["irrelevance"]["n"] > 0
    assert cats["simple_java"]["correct"] == 0
    assert cats["multi_turn_base"]["correct"] == 0

    with Session(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.source == "evaluate" and run.status == "done"
        assert session.get(Model, "my-model") is not None
        errors = session.scalars(
            select(Result).where(Result.run_id == run_id, Result.inference_error.is_not(None))
        ).all()
        assert {r.error_type for r in errors} == {"multi_turn:inference_error", None}
        assert all(r.raw_output is None and r.valid is not None for r in errors)
        scores = {
            (s.kind, s.category): s
            for s in session.scalars(select(RunScore).where(RunScore.run_id == run_id))
        }
    assert scores[("category", "irrelevance")].accuracy == 1.0
    assert scores[("section", "irrelevance")].ran is True  # same name as the category
    assert scores[("section", "live")].ran is False  # no live AST category in the tree
    assert scores[("category", "multi_turn_base")].errors == len(entries["multi_turn_base"])
    assert scores[("category", "irrelevance")].errors == 1  # credited, and counted as an error
    shown = _farm(pg_url, "status", str(run_id))
    assert "imported inference errors: 3 inference_error" in shown.stdout, shown.stdout
    assert {k for k, _ in scores} == {"category", "section"}
    assert scores[("section", "overall")].ran is False

    exported = _farm(pg_url, "export", str(run_id)[:8], "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(records) == sum(len(v) for v in entries.values())
    first = next(r for r in records if r["category"] == "multiple")
    assert first["valid"] is True and first["decoded"] and isinstance(first["raw_output"], str)
    assert {"id", "category", "valid", "error_type", "raw_output", "decoded"} <= set(first)
    as_csv = _farm(pg_url, "export", str(run_id), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(records) and rows[0]["id"]


def test_evaluate_auto_detects_underscored_fc_names(
    mini: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    _, suite, cases = mini
    single = [c for c in cases if c.answer and isinstance(c.answer[0], dict)]
    dotted = [c for c in single if "." in next(iter(c.answer[0]))]
    assert dotted, "the mini suite has a dotted function name"
    lines = []
    for case in dotted:
        if case.language == "python" and "parallel" not in case.category:
            name, params = next(iter(case.answer[0].items()))
            args = {
                k: _plain(next(o for o in v if o != "")) for k, v in params.items() if v != [""]
            }
            lines.append((case.category, {"id": case.case_id,
                          "result": [{name.replace(".", "_"): json.dumps(args)}]}))  # fmt: skip
    entries: dict[str, list[dict[str, Any]]] = {}
    for category, line in lines:
        entries.setdefault(category, []).append(line)
    tree = _write_tree(tmp_path / "fc-model", entries)
    proc = _farm(pg_url, "evaluate", "--bfcl-results", str(tree), "--mode", "fc", "--model",
                 "fc-model", "--suite", f"bfcl@{suite.version}", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["underscore_to_dot"] is True
    assert summary["categories"] and all(
        c["correct"] == c["n"] for c in summary["categories"].values()
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "is not a folder"),
        ("empty", "no BFCL_v4_<category>_result.json"),
        ("bad-json", "not valid JSON"),
        ("unknown-id", "is not a simple_python case"),
        ("duplicate", "duplicate id"),
        ("two-models", "give the folder of one model"),
    ],
)
def test_evaluate_rejects_bad_trees_with_one_line(
    mini: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path, setup: str, message: str
) -> None:
    _, suite, cases = mini
    root = tmp_path / "tree"
    sp = next(c for c in cases if c.category == "simple_python")
    if setup != "missing":
        (root / "non_live").mkdir(parents=True)
    path = root / "non_live" / "BFCL_v4_simple_python_result.json"
    line = json.dumps({"id": sp.case_id, "result": "[]"})
    if setup == "bad-json":
        path.write_text(line + "\n{not json\n")
    elif setup == "unknown-id":
        path.write_text(json.dumps({"id": "simple_python_99999", "result": "[]"}) + "\n")
    elif setup == "duplicate":
        path.write_text(line + "\n" + line + "\n")
    elif setup == "two-models":
        for model in ("a", "b"):
            other = root / model / "non_live" / path.name
            other.parent.mkdir(parents=True)
            other.write_text(line + "\n")
    proc = _farm(pg_url, "evaluate", "--bfcl-results", str(root), "--mode", "prompt",
                 "--model", "m", "--suite", f"bfcl@{suite.version}")  # fmt: skip
    assert proc.returncode != 0
    assert proc.stderr.startswith("farm: error:") and message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_export_of_an_unknown_run_is_one_line(pg_url: str, farm_home: Path) -> None:
    proc = _farm(pg_url, "export", str(uuid.uuid4()), "--format", "jsonl")
    assert proc.returncode != 0 and proc.stderr.startswith("farm: error:")
    assert "Traceback" not in proc.stderr


def test_multi_turn_results_are_scored_by_the_multi_turn_checker(
    mini: tuple[Engine, Suite, list[Case]], pg_url: str, tmp_path: Path
) -> None:
    _, suite, cases = mini
    base = [c for c in cases if c.category == "multi_turn_base"]
    right = base[0]
    lines = [  # each turn: one step making the ground-truth calls, then a text step
        {
            "id": right.case_id,
            "result": [["[" + ", ".join(t) + "]", "Done."] for t in right.answer],
        },
        {"id": base[1].case_id, "result": [[]]},  # one turn of two: force-terminated
    ]
    tree = _write_tree(tmp_path / "mt", {"multi_turn_base": lines})
    proc = _farm(pg_url, "evaluate", "--bfcl-results", str(tree), "--mode", "prompt",
                 "--model", "mt-model", "--suite", f"bfcl@{suite.version}", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    run_id = json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]
    exported = _farm(pg_url, "export", run_id)
    verdicts = {
        r["id"]: (r["valid"], r["error_type"])
        for r in map(json.loads, exported.stdout.splitlines())
    }
    assert verdicts[base[1].case_id] == (False, "multi_turn:force_terminated")
    assert verdicts[right.case_id] == (True, None)
