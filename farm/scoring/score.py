"""Scoring one single-turn BFCL case: decode the raw output, apply the AST or relevance check."""

from __future__ import annotations

from typing import Any

from farm.errors import ScoringError, SuiteError
from farm.formats import CallFormat, get_format
from farm.formats.pydecode import DecodeError
from farm.scoring.checker import check_calls
from farm.scoring.verdict import Verdict, json_safe
from farm.suites.case import Case
from farm.suites.categories import is_multi_turn
from farm.suites.sensitivity import CaseDecoding, case_decoding


def is_relevance_category(category: str) -> bool:
    """Categories scored only on whether the output holds a call (no answer file)."""
    return (
        "irrelevance" in category
        or category == "live_relevance"
        or (category.endswith("relevance"))
    )


def decode_calls(raw_output: Any, *, mode: str, language: str = "python") -> Any:
    """Decode raw output into BFCL's ``[{name: {param: value}}]`` with the call format ``mode``.

    Raises:
        DecodeError: the output does not decode (BFCL's decoder would raise).
        ConfigError: unknown mode.
    """
    return get_format(mode).decode(raw_output, language=language)


def is_call_list(decoded: Any) -> bool:
    """BFCL's format check: a list of single-key dicts mapping a name to a dict of params."""
    if type(decoded) is not list:
        return False
    for item in decoded:
        if type(item) is not dict or len(item) != 1:
            return False
        if type(next(iter(item.values()))) is not dict:
            return False
    return True


def has_no_call(decoded: Any) -> bool:
    """BFCL's ``is_empty_output``: not in call format, ``[]`` or ``[{}]``."""
    if not is_call_list(decoded):
        return True
    return len(decoded) == 0 or (len(decoded) == 1 and len(decoded[0]) == 0)


def _display(decoded: Any, case: Case) -> Any:
    """Decoded calls for storage: JSON-safe, FC names mapped back to dotted doc names."""
    if type(decoded) is list:
        dotted = {
            str(doc.get("name", "")).replace(".", "_"): doc.get("name")
            for doc in case.functions
            if isinstance(doc, dict) and "." in str(doc.get("name", ""))
        }
        if dotted:
            decoded = [
                {dotted.get(k, k) if isinstance(k, str) else k: v for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in decoded
            ]
    return json_safe(decoded)


def score_case(
    case: Case,
    raw_output: Any,
    *,
    mode: str,
    underscore_to_dot: bool,
) -> Verdict:
    """Score one single-turn case's raw output exactly as ``bfcl evaluate`` would.

    Args:
        case: the case (functions, ground truth, category).
        raw_output: BFCL's ``result`` field (text for prompt mode; a list of
            ``{tool: arguments_json}`` or text for FC).
        mode: the call format's name (``"fc"``, ``"prompt"``, ...).
        underscore_to_dot: the model was sent tool names with ``.`` replaced by ``_``.

    Returns:
        The verdict. Model output never raises.

    A format-sensitivity case decodes in its configuration's return format and tag and is
    checked as its original id's category (:func:`farm.suites.sensitivity.case_decoding`).

    Raises:
        ScoringError: for a multi-turn case (see :mod:`farm.benchmarks.bfcl`); for a
            format-sensitivity case in a mode without ``runs_format_sensitivity`` (BFCL
            skips the category for FC models) or with a malformed id.
        ConfigError: unknown mode.
    """
    call_format = get_format(mode)  # unknown mode: ConfigError
    if is_multi_turn(case.category):
        raise ScoringError(
            f"case {case.case_id}: multi-turn cases are scored by farm.multiturn.checker "
            "(farm.benchmarks.bfcl chooses)"
        )
    how = _decoding(case, call_format)
    if is_relevance_category(case.category) or case.answer is None:
        return _score_relevance(case, raw_output, call_format)
    try:
        if how.tool_call_tag:  # only formats that run format sensitivity take the tag
            decoded = call_format.decode(raw_output, language=how.return_format, tool_call_tag=True)
        else:
            decoded = call_format.decode(raw_output, language=how.return_format)
    except DecodeError as exc:
        return Verdict(
            False,
            "ast_decoder:decoder_failed",
            [f"Invalid syntax. Failed to decode AST. {exc}"],
            None,
        )
    if not is_call_list(decoded):
        return Verdict(
            False,
            "ast_decoder:decoder_wrong_output_format",
            ["Did not output in the specified format."],
            json_safe(decoded),
        )
    result = check_calls(
        case.functions,
        decoded,
        case.answer,
        language=how.language,
        category=how.checker_category,
        underscore_to_dot=underscore_to_dot,
    )
    shown = _display(decoded, case)
    if result["valid"]:
        return Verdict(True, None, None, shown)
    return Verdict(False, result["error_type"], json_safe(result["error"]), shown)


def _decoding(case: Case, call_format: CallFormat) -> CaseDecoding:
    try:
        how = case_decoding(case)
    except SuiteError as exc:
        raise ScoringError(f"case {case.case_id}: {exc}") from None
    if how.format_sensitivity and not call_format.runs_format_sensitivity:
        raise ScoringError(
            f"case {case.case_id}: format_sensitivity runs in prompt mode only "
            f"(BFCL skips it for FC models); mode {call_format.name!r} cannot score it"
        )
    return how


def _score_relevance(case: Case, raw_output: Any, call_format: CallFormat) -> Verdict:
    decoded: Any = None
    error: str | None = None
    try:
        decoded = call_format.decode(raw_output, language="python")
        has_call = not has_no_call(decoded)
    except DecodeError as exc:
        has_call, error = False, str(exc)
    shown = _display(decoded, case) if decoded is not None else None
    if "irrelevance" in case.category:
        if not has_call:
            return Verdict(True, None, None, shown)
        return Verdict(
            False,
            "irrelevance_error:decoder_success",
            ["Valid syntax. Successfully decode AST when it should not."],
            shown,
        )
    if has_call:
        return Verdict(True, None, None, shown)
    return Verdict(
        False,
        "relevance_error:decoder_failed",
        [f"Invalid syntax. Failed to decode AST when it should have. {error or ''}".strip()],
        shown,
    )


def score_inference_error(case: Case, message: str) -> Verdict:
    """Score a case whose inference failed, as BFCL scores its ``Error during inference``.

    Irrelevance categories count it as correct (no call was made); live_relevance fails
    with ``relevance_error:decoder_failed``; AST categories fail with
    ``ast_decoder:decoder_failed``; multi-turn with ``multi_turn:inference_error``.
    A format-sensitivity case scores BFCL's stored text ``Error during inference: ...`` in
    its configuration (a JSON configuration decodes it to no call, which the checker
    fails on its count); it is never valid.
    """
    detail = [f"Error during inference: {message}"[:2000]]
    if is_multi_turn(case.category):
        return Verdict(False, "multi_turn:inference_error", detail, None)
    if case_decoding(case).format_sensitivity:
        verdict = score_case(
            case, f"Error during inference: {message}", mode="prompt", underscore_to_dot=False
        )
        if verdict.valid:
            return Verdict(False, "ast_decoder:decoder_failed", detail, None)
        return verdict
    if "irrelevance" in case.category:
        return Verdict(True, None, None, None)
    if is_relevance_category(case.category) or case.answer is None:
        return Verdict(False, "relevance_error:decoder_failed", detail, None)
    return Verdict(False, "ast_decoder:decoder_failed", detail, None)
