"""Hostile model output is a scored failure and nothing more: nothing runs, nothing hangs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from farm.scoring import score_case
from farm.scoring.verdict import json_safe
from farm.suites.case import Case

DOC = {
    "name": "f",
    "description": "d",
    "parameters": {"type": "dict", "properties": {"a": {"type": "string"}}, "required": ["a"]},
}
AST = Case("h", "simple_python", "python", [], [DOC], [{"f": {"a": ["x"]}}])
IRRELEVANCE = Case("i", "irrelevance", "python", [], [DOC], None)
CDOC = {**DOC, "parameters": {**DOC["parameters"], "properties": {"a": {"type": "String"}}}}
JAVA = Case("j", "simple_java", "java", [], [CDOC], [{"f": {"a": ["x"]}}])
JS = Case("s", "simple_javascript", "javascript", [], [CDOC], [{"f": {"a": ["x"]}}])


def _score(case: Case, raw: object, mode: str = "prompt") -> tuple[bool, str | None, float]:
    start = time.perf_counter()
    verdict = score_case(case, raw, mode=mode, underscore_to_dot=False)
    elapsed = time.perf_counter() - start
    json.dumps([verdict.detail, verdict.decoded])
    return verdict.valid, verdict.error_type, elapsed


def test_code_injection_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    touch = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    outputs = [
        f"[f(a={touch})]",
        f"[f({touch})]",
        f"[f(a={touch} + 1)]",
        f"[f(a=[{touch}][0])]",
        f"[f(a=(lambda: {touch})())]",
        f"[f(a=(lambda: {touch}))]",
        f"{touch}",
        f"[f(a='x'), {touch}]",
        f"[f(a={{'k': {touch}}})]",
        f"[f(a=f'{{{touch}}}')]",
    ]
    for raw in outputs:
        for case in (AST, IRRELEVANCE, JAVA, JS):
            _score(case, raw)
        _score(AST, [{"f": json.dumps({"a": touch})}], mode="fc")
    assert not marker.exists()


def test_injection_as_a_keyword_value_is_only_text() -> None:
    valid, error_type, _ = _score(AST, "[f(a=__import__('os').system('true'))]")
    assert (valid, error_type) == (False, "value_error:string")


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 20_000 + "]" * 20_000,
        "[f(a=" + "[" * 20_000 + "]" * 20_000 + ")]",
        "[f(a=" + "-" * 20_000 + "1)]",
        "[f(a=" + "+".join(["1"] * 20_000) + ")]",
        "[f(a=" + "not " * 20_000 + "1)]",
        "[f(a=" + "(" * 20_000 + "1" + ")" * 20_000 + ")]",
        "[f(a=" + "{'k': " * 20_000 + "1" + "}" * 20_000 + ")]",
        "[f(a=" + "x." * 20_000 + "y)]",
        "[f(a=" + "g(b=" * 20_000 + "1" + ")" * 20_000 + ")]",
    ],
    ids=["brackets", "list", "unary", "sum", "not", "parens", "dicts", "attributes", "calls"],
)
def test_deep_nesting_is_a_bounded_decoding_failure(raw: str) -> None:
    for case in (AST, JAVA, JS):
        valid, error_type, elapsed = _score(case, raw)
        assert not valid
        assert elapsed < 5
    assert _score(IRRELEVANCE, raw)[0]  # no call decoded: correct irrelevance


def test_deep_json_arguments_fail_in_fc_mode() -> None:
    raw = [{"f": '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}"}]
    valid, error_type, elapsed = _score(AST, raw, mode="fc")
    assert (valid, error_type) == (False, "ast_decoder:decoder_failed")
    assert elapsed < 5


@pytest.mark.parametrize(
    "expr",
    [
        "10**10**10",
        "2**10**8",
        "9**9**9**9",
        "1<<10**10",
        "'a'*10**12",
        "[1]*10**12",
        "(2**64)**10**6",
    ],
)
def test_huge_arithmetic_is_refused_fast(expr: str) -> None:
    valid, error_type, elapsed = _score(AST, f"[f(a={expr})]")
    assert (valid, error_type) == (False, "ast_decoder:decoder_failed")
    assert elapsed < 2


def test_small_arithmetic_is_folded_like_bfcl() -> None:
    case = Case("n", "simple_python", "python", [], [
        {"name": "f", "description": "", "parameters": {"type": "dict", "properties": {
            "a": {"type": "integer"}}, "required": ["a"]}}], [{"f": {"a": [1024]}}])  # fmt: skip
    assert _score(case, "[f(a=2**10)]")[:2] == (True, None)
    assert _score(case, "[f(a=1/0)]")[:2] == (False, "ast_decoder:decoder_failed")


def test_multi_megabyte_strings_are_scored_failures() -> None:
    big = "x" * 3_000_000
    assert _score(AST, f"[f(a='{big}')]")[:2] == (False, "value_error:string")
    assert _score(AST, f"[f(a='{big * 2}')]")[:2] == (False, "ast_decoder:decoder_failed")
    assert _score(AST, [{"f": json.dumps({"a": big})}], mode="fc")[:2] == (
        False,
        "value_error:string",
    )
    assert _score(JAVA, f'[f(a="{big}")]')[:2] == (False, "value_error:string")


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\x00"], ids=["high", "low", "nul"])
def test_lone_surrogates_and_nul_bytes_fail_and_stay_storable(bad: str) -> None:
    for case in (AST, JAVA, JS):
        valid, error_type, _ = _score(case, f"[f(a='x{bad}')]")
        assert (valid, error_type) == (False, "ast_decoder:decoder_failed")
    valid, error_type, _ = _score(AST, [{"f": json.dumps({"a": f"x{bad}"})}], mode="fc")
    assert not valid
    stored = json.dumps(json_safe({"raw": f"x{bad}", bad: [bad]}))
    assert "\\u0000" not in stored or bad != "\x00" or "\\\\u0000" in stored
    stored.encode("utf-8")  # no lone surrogate survives


def test_unusual_python_values_are_storable() -> None:
    verdict = score_case(AST, "[f(a=1j, b=b'x', c={(1, 2): ...}, **{'d': 1})]", mode="prompt",
                         underscore_to_dot=False)  # fmt: skip
    assert not verdict.valid
    json.dumps([verdict.detail, verdict.decoded])
