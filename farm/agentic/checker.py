r"""BFCL's agentic checker (web search and memory), reproduced verdict for verdict.

Source of the facts: ``bfcl_eval/eval_checker/eval_runner.py`` (``_evaluate_single_agentic_entry``)
and ``eval_checker/agentic_eval/agentic_checker.py`` of bfcl-eval 2026.3.23.

The rules, quirks included:

1. The result must be a list of exactly one turn, else ``agentic:inference_error``.
2. Every step of that turn is decoded as BFCL's ``decode_execute`` does (FC or prompt
   mode). The *last* step that fails to decode, or decodes to no call, is the answer.
   If that step is falsy (no such step, or an empty text or list), the verdict is
   ``agentic:no_last_message``, even when an earlier step held text.
3. A list answer is reduced to its first element; anything not text goes through ``str``.
4. Answer and each ground-truth alternative are standardised: the characters
   ``,./-_*^()`` are removed (spaces stay), the text is lowercased and ``'`` becomes ``"``.
5. The case passes if some alternative is found with the regular expression
   ``\b<alternative>\b`` (escaped) in the answer; otherwise ``agentic:answer_not_found``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from farm.formats.execute import DecodeError, decode_execute, is_empty_response
from farm.scoring.verdict import Verdict, json_safe

if TYPE_CHECKING:
    from farm.formats.base import CallFormat

INFERENCE_ERROR = "agentic:inference_error"
NO_LAST_MESSAGE = "agentic:no_last_message"
ANSWER_NOT_FOUND = "agentic:answer_not_found"

#: BFCL's error-type strings of the agentic checker.
ERROR_TYPES: tuple[str, ...] = (INFERENCE_ERROR, NO_LAST_MESSAGE, ANSWER_NOT_FOUND)

_PUNCTUATION = re.compile(r"[,./\-_*^()]")


def standardize(text: str) -> str:
    """BFCL's ``standardize_string``: drop ``,./-_*^()``, lowercase, ``'`` to ``"``."""
    return _PUNCTUATION.sub("", text).lower().replace("'", '"')


def answer_found(model_response: Any, possible_answers: Sequence[str]) -> bool:
    """Whether some standardised alternative occurs, word-bounded, in the standardised answer."""
    if isinstance(model_response, list):
        model_response = model_response[0]
    if not isinstance(model_response, str):
        model_response = str(model_response)
    response = standardize(model_response)
    return any(
        re.search(rf"\b{re.escape(standardize(alt))}\b", response) is not None
        for alt in possible_answers
    )


def last_non_call_message(
    steps: Iterable[Any], *, mode: str | CallFormat
) -> tuple[Any, list[list[str]]]:
    """The last step that is not a call (BFCL's final answer), and the decoded call steps.

    Args:
        steps: the raw steps of the single turn (text, or FC tool-call lists).
        mode: the call format (or its name, ``"fc"`` or ``"prompt"``): how BFCL's
            ``decode_execute`` reads a step.

    Returns:
        ``(message, decoded)``: ``message`` is ``None`` when every step decoded to calls.
    """
    last: Any = None
    decoded: list[list[str]] = []
    for step in steps:
        try:
            calls = decode_execute(step, mode=mode)
        except DecodeError:
            last = step
            continue
        if is_empty_response(calls):
            last = step
            continue
        decoded.append(calls)
    return last, decoded


def score_agentic(
    raw_output: Any, possible_answers: Sequence[str], *, mode: str | CallFormat
) -> Verdict:
    """Score one web-search or memory case as ``bfcl evaluate`` does.

    Args:
        raw_output: BFCL's ``result`` field: a list holding one turn, a list of raw steps.
        possible_answers: the ground truth: acceptable answer strings.
        mode: the call format (or its name, ``"fc"`` or ``"prompt"``).

    Returns:
        The verdict with BFCL's error type (one of :data:`ERROR_TYPES`) when invalid;
        ``decoded`` holds the decoded call strings of the steps that were calls.
    """
    if not isinstance(raw_output, list) or len(raw_output) != 1:
        return _fail(
            INFERENCE_ERROR,
            "Error during inference phase. Model did not output a list of model responses.",
            model_result=raw_output,
        )
    turn = raw_output[0]
    if not isinstance(turn, str | list | dict):
        # BFCL iterates the turn; anything else is not a model response at all.
        return _fail(
            INFERENCE_ERROR,
            "Error during inference phase. Model did not output a list of model responses.",
            model_result=raw_output,
        )
    last, decoded = last_non_call_message(turn, mode=mode)
    if not last:
        return _fail(
            NO_LAST_MESSAGE,
            "Cannot find the last chat message that is not a function call.",
            decoded=decoded,
        )
    if not answer_found(last, possible_answers):
        return _fail(
            ANSWER_NOT_FOUND,
            "None of the expected answers were found in the model response.",
            decoded=decoded,
            last_non_fc_message=last,
            possible_answers=list(possible_answers),
        )
    return Verdict(valid=True, decoded=json_safe(decoded))


def _fail(error_type: str, message: str, *, decoded: Any = None, **detail: Any) -> Verdict:
    body: dict[str, Any] = {"error_message": message}
    body.update({k: json_safe(v) for k, v in detail.items()})
    return Verdict(
        valid=False,
        error_type=error_type,
        detail=body,
        decoded=None if decoded is None else json_safe(decoded),
    )
