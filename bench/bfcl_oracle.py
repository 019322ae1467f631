"""The official verdict for inline cases: run INSIDE the bfcl venv (imports bfcl_eval).

Reads a JSON list of cases on stdin, each ``{category, language, functions, answer, mode,
dots, raw}``, and prints a JSON list of ``[valid, error_type]`` computed by BFCL's own
per-entry evaluators (``_evaluate_single_ast_entry`` / ``_evaluate_single_relevance_entry``)
with a real handler. The farm never imports this; tests and bench scripts run it with the
venv's python to compare the farm's checker with BFCL's on cases of our own.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

os.environ.setdefault("OPENAI_API_KEY", "sk-unused")
os.environ.setdefault("BFCL_PROJECT_ROOT", tempfile.mkdtemp(prefix="bfcl-oracle-"))

from bfcl_eval.constants.enums import Language, ReturnFormat  # noqa: E402
from bfcl_eval.eval_checker.eval_runner import (  # noqa: E402
    _evaluate_single_ast_entry,
    _evaluate_single_relevance_entry,
    get_handler,
)

MODELS = {
    ("fc", True): "gpt-4o-2024-11-20-FC",
    ("fc", False): "qwen3-235b-a22b-instruct-2507-FC",
    ("prompt", False): "gpt-4o-2024-11-20",
    ("prompt", True): "gpt-4o-2024-11-20",
}


def verdict(case: dict) -> list:
    name = MODELS[(case["mode"], bool(case["dots"]))]
    handler = get_handler(name)
    dirname = name.replace("/", "_")
    prompt = {"id": "x", "function": case["functions"]}
    category = case["category"]
    try:
        if case["answer"] is None:
            out = _evaluate_single_relevance_entry(
                handler, "x", case["raw"], prompt, dirname, category
            )
        else:
            lang = {"java": Language.JAVA, "javascript": Language.JAVASCRIPT}.get(
                case["language"], Language.PYTHON
            )
            fmt = {"java": ReturnFormat.JAVA, "javascript": ReturnFormat.JAVASCRIPT}.get(
                case["language"], ReturnFormat.PYTHON
            )
            out = _evaluate_single_ast_entry(
                handler, "x", case["raw"], case["answer"], prompt, dirname, category,
                language=lang, return_format=fmt,
            )  # fmt: skip
    except Exception as exc:  # the official checker itself crashed
        return [None, f"crash:{type(exc).__name__}"]
    return [bool(out["valid"]), out.get("error_type")]


if __name__ == "__main__":
    print(json.dumps([verdict(c) for c in json.load(sys.stdin)]))
