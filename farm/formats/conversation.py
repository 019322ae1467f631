"""BFCL's multi-turn conversation protocol: the texts and messages both sides must agree on.

The conversation loop (:mod:`farm.benchmarks.bfcl.conversation`), the call formats and the
ground-truth answers (:mod:`farm.answers.multiturn`) all speak it, so it lives below all
three.
"""

from __future__ import annotations

from typing import Any

#: BFCL's ``DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC``.
ADDITIONAL_FUNCTION_PROMPT = (
    "I have updated some more functions you can choose from. What about now?"
)


def tool_results_message(calls: list[str], results: list[str]) -> dict[str, Any]:
    """Prompt mode: all results of one step in one user message (``repr`` of tool dicts)."""
    tool_results = [
        {"role": "tool", "name": call, "content": result}
        for call, result in zip(calls, results, strict=False)
    ]
    return {"role": "user", "content": repr(tool_results)}
