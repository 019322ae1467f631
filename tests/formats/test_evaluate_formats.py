"""`farm evaluate` decodes each model's BFCL results as BFCL's handler for it does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from farm.answers.ground_truth import ground_truth_calls
from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.simulator.styles import render_calls
from farm.suites.case import Case
from farm.suites.categories import GROUP_DIR
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")


@pytest.fixture
def mini(farm_home: Path) -> tuple[str, list[Case]]:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = [c for c in load_cases(session, suite.id) if c.category in CATEGORIES]
    engine.dispose()
    return f"bfcl@{suite.version}", cases


def _tree(root: Path, cases: list[Case], shape: str) -> Path:
    """Right answers (text for irrelevance) in BFCL's stored shape for ``shape``."""
    by_category: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        calls = [(n, json.dumps(a)) for n, a in ground_truth_calls(case)]
        result: Any
        if not calls:
            result = "I cannot answer that with these functions."
        elif shape == "fc":
            result = [{n: a} for n, a in calls]
        elif shape == "decoded":
            result = [{n: json.loads(a)} for n, a in calls]
        else:
            result = render_calls(shape, calls)
        by_category.setdefault(case.category, []).append({"id": case.case_id, "result": result})
    for category, lines in by_category.items():
        folder = root / GROUP_DIR[category]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"BFCL_v4_{category}_result.json"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return root


def _evaluate(tree: Path, suite: str, *args: str) -> tuple[Any, dict[str, Any]]:
    done = run_farm("evaluate", "--bfcl-results", str(tree), "--suite", suite, "--json", *args)
    assert done.returncode == 0, done.stderr
    return done, json.loads(done.stdout.strip().splitlines()[-1])


def _accuracies(report: dict[str, Any]) -> dict[str, float]:
    return {k: v["accuracy"] for k, v in report["categories"].items()}


@pytest.mark.parametrize(
    ("shape", "model", "fitting"),
    [
        ("hermes", "Qwen/Qwen3-8B-FC", "hermes"),
        ("decoded", "gemini-2.5-flash-FC", "decoded"),
        ("llama3_json", "meta-llama/Llama-3.1-8B-Instruct-FC", "llama3_json"),
    ],
)
def test_bfcl_model_names_pick_their_handlers_decoder(
    mini: tuple[str, list[Case]], tmp_path: Path, shape: str, model: str, fitting: str
) -> None:
    suite, cases = mini
    _, fc_report = _evaluate(
        _tree(tmp_path / "fc", cases, "fc"), suite, "--mode", "fc", "--model", "x"
    )
    tree = _tree(tmp_path / shape, cases, shape)
    done, report = _evaluate(tree, suite, "--model", model)
    assert _accuracies(report) == _accuracies(fc_report)
    assert all(a == 1.0 for a in _accuracies(report).values())
    assert "warning" not in done.stderr
    assert f"call format {fitting}" in done.stdout
    plain, plain_report = _evaluate(tree, suite, "--mode", "fc", "--model", model)
    warnings = [line for line in plain.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and f"--call-format {fitting}" in warnings[0], plain.stderr
    assert plain_report["warnings"] == [warnings[0].removeprefix("warning: ")]
    assert _accuracies(plain_report)["simple_python"] == 0.0


def test_call_format_option_and_unknown_models(
    mini: tuple[str, list[Case]], tmp_path: Path
) -> None:
    suite, cases = mini
    tree = _tree(tmp_path / "glm", cases, "glm4")
    done, report = _evaluate(tree, suite, "--model", "my-glm", "--call-format", "glm4")
    assert report["categories"]["parallel"]["accuracy"] == 1.0
    _, bfcl_like = _evaluate(tree, suite, "--model", "THUDM/glm-4-9b-chat")
    # BFCL's GLM handler reads only the first call: parallel answers fall short there.
    assert bfcl_like["categories"]["simple_python"]["accuracy"] == 1.0
    assert bfcl_like["categories"]["parallel"]["accuracy"] == 0.0
    unknown = run_farm("evaluate", "--bfcl-results", str(tree), "--suite", suite, "--model", "who")
    assert unknown.returncode != 0
    assert unknown.stderr.strip().count("\n") == 0 and "--call-format" in unknown.stderr
    bad = run_farm(
        "evaluate", "--bfcl-results", str(tree), "--suite", suite, "--model", "m",
        "--call-format", "nope",
    )  # fmt: skip
    assert bad.returncode != 0 and "unknown call format 'nope'" in bad.stderr
