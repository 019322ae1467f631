"""The farm's verdicts on inline cases equal BFCL's (expectations checked with the official
checker; re-checked against it here whenever its virtualenv exists)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from farm.scoring import score_case
from farm.suites.case import Case
from tests.scoring.golden_cases import GOLDEN, Golden

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("FARM_BFCL_VENV", "/tmp/bfcl-venv"))
BFCL_ERROR_TYPES = {
    "ast_decoder:decoder_failed", "ast_decoder:decoder_wrong_output_format",
    "simple_function_checker:wrong_count", "simple_function_checker:wrong_func_name",
    "simple_function_checker:missing_required", "simple_function_checker:unexpected_param",
    "simple_function_checker:missing_optional", "type_error:simple", "type_error:nested",
    "type_error:java", "type_error:js", "value_error:string", "value_error:list/tuple",
    "value_error:dict_key", "value_error:dict_value", "value_error:list_dict_count",
    "value_error:others", "multiple_function_checker:wrong_count",
    "parallel_function_checker_no_order:wrong_count",
    "parallel_function_checker_no_order:cannot_find_match",
    "irrelevance_error:decoder_success", "relevance_error:decoder_failed",
}  # fmt: skip


def _case(g: Golden) -> Case:
    return Case(case_id="g", category=g[1], language=g[2], turns=[], functions=g[3], answer=g[4])


@pytest.mark.parametrize("golden", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_the_farm_gives_bfcls_verdict(golden: Golden) -> None:
    verdict = score_case(_case(golden), golden[7], mode=golden[5], underscore_to_dot=golden[6])
    assert (verdict.valid, verdict.error_type) == golden[8]
    json.dumps([verdict.detail, verdict.decoded])  # always storable


def test_goldens_cover_every_ast_error_type_and_agree_with_the_official_checker() -> None:
    expected = [list(g[8]) for g in GOLDEN]
    used = {e for _, e in expected if e}
    assert used <= BFCL_ERROR_TYPES
    missing = BFCL_ERROR_TYPES - used - {"simple_function_checker:missing_optional"}
    assert not missing, f"goldens lack {sorted(missing)}"
    python = VENV / "bin" / "python"
    if not (VENV / ".ready").exists():
        # No official checker on this machine: the expectations above were produced by it
        # (bench/bfcl_oracle.py); the parametrized test holds the farm to them.
        return
    payload = [
        {"category": g[1], "language": g[2], "functions": g[3], "answer": g[4], "mode": g[5],
         "dots": g[6], "raw": g[7]}
        for g in GOLDEN
    ]  # fmt: skip
    proc = subprocess.run(
        [str(python), str(REPO / "bench" / "bfcl_oracle.py")],
        input=json.dumps(payload), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    official = json.loads(proc.stdout)
    wrong = [(g[0], o, e) for g, o, e in zip(GOLDEN, official, expected, strict=True) if o != e]
    assert not wrong
