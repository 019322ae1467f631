"""Agentic and format-sensitivity agreement: the farm's checker against ``bfcl evaluate``.

Writes result files of our own making for every web-search and memory case (465 + 200
entries per model; two prompt-mode and two FC-mode registry models): the right answer in
BFCL's answer format, the same answer differently punctuated or cased, the answer only in
an earlier step, a wrong answer, an empty final message, the final message as a call, text
then an empty message, a bare string turn, a list answer, more than one turn and a result
that is not a list. Each entry is scored by :func:`farm.agentic.checker.score_agentic` and by
``bfcl evaluate`` (bfcl-eval in a throwaway venv, see bench/bfcl_env.py); verdicts (valid,
error type) are compared case by case.

Format sensitivity: all 5,200 entries for the two prompt-mode models, with Python-call
outputs right for some entries and wrong or in the wrong syntax for others; BFCL's
per-entry verdicts are fed to :func:`farm.agentic.sensitivity.sensitivity_stats` and the
per-configuration accuracies, max delta, standard deviation and variance are compared with
the header of BFCL's score file.

Usage: ``python bench/agentic_agreement.py [--wheel PATH] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bfcl_env import ensure_bfcl_venv  # noqa: E402

from farm.agentic.checker import score_agentic  # noqa: E402
from farm.agentic.sensitivity import sensitivity_stats  # noqa: E402
from farm.suites.case import Case  # noqa: E402
from farm.suites.categories import AGENTIC, GROUP_DIR  # noqa: E402
from farm.suites.wheel import read_wheel  # noqa: E402

DEFAULT_WHEEL = Path("/tmp/bfclwheel/bfcl_eval-2026.3.23-py3-none-any.whl")
MODELS = {
    "gpt-4.1-2025-04-14": "prompt",
    "gpt-4.1-2025-04-14-FC": "fc",
    "gpt-4o-2024-11-20": "prompt",
    "gpt-4o-2024-11-20-FC": "fc",
}
VARIANTS = (
    "right",
    "punctuated",
    "upper_spaced",
    "earlier_step",
    "wrong",
    "empty_final",
    "final_as_call",
    "text_then_empty",
    "bare_string_turn",
    "list_answer",
    "two_turns",
    "not_a_list",
    "apostrophe",
    "inside_word",
)


def _call(mode: str, name: str, args: dict[str, Any]) -> Any:
    if mode == "fc":
        return [{name: json.dumps(args)}]
    rendered = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"[{name}({rendered})]"


def _final(answer: str) -> str:
    return "{'answer': '" + answer + "', 'context': 'found it'}"


def _punctuate(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if ch.isalnum() and i % 3 == 1:
            out.append("-" if i % 2 else ".")
    return "(" + "".join(out) + ")*"


def make_output(variant: str, truth: list[str], mode: str, seed: str) -> Any:
    """One model result of the given variant for a case whose answers are ``truth``."""
    pick = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    answer = truth[pick % len(truth)]
    search = _call(mode, "search_engine_query", {"keywords": answer[:20] or "x"})
    if variant == "right":
        return [[search, _final(answer)]]
    if variant == "punctuated":
        return [[search, _final(_punctuate(answer))]]
    if variant == "upper_spaced":
        return [[_final("  " + answer.upper() + " .")]]
    if variant == "earlier_step":
        return [[_final(answer), search, "I do not know"]]
    if variant == "wrong":
        return [[search, _final("zzq nothing " + str(pick % 97))]]
    if variant == "empty_final":
        return [[search, ""]]
    if variant == "final_as_call":
        return [[search, _call(mode, "answer", {"text": answer})]]
    if variant == "text_then_empty":
        return [[_final(answer), ""]]
    if variant == "bare_string_turn":
        return [_final(answer)]
    if variant == "list_answer":
        return [[search, [_final(answer), "ignored"]]]
    if variant == "two_turns":
        return [[_final(answer)], [_final(answer)]]
    if variant == "not_a_list":
        return _final(answer)
    if variant == "apostrophe":
        return [[search, f"The answer's \"{answer}\" isn't it?"]]
    if variant == "inside_word":
        return [[search, _final("x" + answer + "y")]]
    raise ValueError(variant)


def _python_call(truth: list[dict[str, Any]]) -> str:
    calls = []
    for call in truth:
        for name, params in call.items():
            args = []
            for key, alts in params.items():
                value = next((a for a in alts if a != ""), None)
                if value is not None:
                    args.append(f"{key}={value!r}")
            calls.append(f"{name}({', '.join(args)})")
    return "[" + ", ".join(calls) + "]"


def sensitivity_output(case: Case, seed: str) -> str:
    pick = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10
    if pick < 6:
        return _python_call(case.answer or [])
    if pick < 8:
        return "I cannot call any function."
    return "<TOOLCALL>" + _python_call(case.answer or []) + "</TOOLCALL>"


def _result_path(result_dir: Path, model: str, category: str) -> Path:
    return result_dir / model / GROUP_DIR[category] / f"BFCL_v4_{category}_result.json"


def _score_file(score_dir: Path, model: str, category: str) -> Path:
    return score_dir / model / GROUP_DIR[category] / f"BFCL_v4_{category}_score.json"


OVERALL_COLUMNS = (
    "Overall Acc",
    "Web Search Acc",
    "Web Search Base",
    "Web Search No Snippet",
    "Memory Acc",
    "Memory KV",
    "Memory Vector",
    "Memory Recursive Summarization",
)


def _csv_cells(path: Path, columns: tuple[str, ...] | None) -> list[tuple[str, ...]]:
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    picks = [header.index(c) for c in columns] if columns else list(range(2, len(header)))
    return sorted(tuple(line.split(",")[i] for i in picks) for line in lines[1:])


def compare_bfcl_csv(wheel: Path, root: Path, result_dir: Path, score_dir: Path) -> tuple[int, int]:
    """``farm evaluate`` every model's tree, ``farm leaderboard --format bfcl-csv``, compare."""
    home = root / "farm-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FARM_")}
    env.update(FARM_HOME=str(home), PYTHONPATH=str(Path(__file__).resolve().parent.parent))

    def farm(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "farm", *args], env=env,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"farm {args[0]} failed: {done.stderr[-2000:]}")

    farm("suites", "pull", "bfcl", "--wheel", str(wheel))
    for model, mode in MODELS.items():
        farm("evaluate", "--bfcl-results", str(result_dir / model), "--mode", mode,
             "--model", model)  # fmt: skip
    out = root / "farm-csv"
    farm("leaderboard", "--format", "bfcl-csv", "--out", str(out))
    checked = agree = 0
    for name, columns in (("data_agentic.csv", None), ("data_overall.csv", OVERALL_COLUMNS)):
        mine, theirs = _csv_cells(out / name, columns), _csv_cells(score_dir / name, columns)
        for a, b in zip(mine, theirs, strict=True):
            checked += len(b)
            agree += sum(x == y for x, y in zip(a, b, strict=True))
    return checked, agree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, default=DEFAULT_WHEEL)
    parser.add_argument("--keep", type=Path, default=None, help="keep result/score files here")
    args = parser.parse_args()

    bfcl = ensure_bfcl_venv()
    suite = read_wheel(args.wheel)
    cases = [c for c in suite.cases if c.category in AGENTIC]
    sens_cases = [c for c in suite.cases if c.category == "format_sensitivity"]
    root = args.keep or Path(tempfile.mkdtemp(prefix="farm-agentic-agree-"))
    result_dir, score_dir = root / "result", root / "score"

    outputs: dict[tuple[str, str], tuple[str, Any]] = {}
    for m_index, (model, mode) in enumerate(MODELS.items()):
        for category in AGENTIC:
            lines = []
            for c in (c for c in cases if c.category == category):
                variant = VARIANTS[(c.position + m_index * 3) % len(VARIANTS)]
                raw = make_output(variant, list(c.answer or [""]), mode, f"{c.case_id}:{model}")
                outputs[(model, c.case_id)] = (variant, raw)
                lines.append(json.dumps({"id": c.case_id, "result": raw}))
            path = _result_path(result_dir, model, category)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")
        if mode == "prompt":
            path = _result_path(result_dir, model, "format_sensitivity")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                "\n".join(
                    json.dumps(
                        {"id": c.case_id, "result": sensitivity_output(c, f"{c.case_id}:{model}")}
                    )
                    for c in sens_cases
                )
                + "\n"
            )

    started = time.perf_counter()
    by_id = {c.case_id: c for c in cases}
    farm_verdicts = {}
    for (model, cid), (_variant, raw) in outputs.items():
        v = score_agentic(raw, list(by_id[cid].answer or []), mode=MODELS[model])
        farm_verdicts[(model, cid)] = (v.valid, v.error_type)
    farm_seconds = time.perf_counter() - started

    env = dict(os.environ, BFCL_PROJECT_ROOT=str(root), OPENAI_API_KEY="sk-dummy-offline")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(bfcl),
            "evaluate",
            "--model",
            ",".join(MODELS),
            "--test-category",
            "agentic,format_sensitivity",
            "--result-dir",
            str(result_dir),
            "--score-dir",
            str(score_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    bfcl_seconds = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"bfcl evaluate failed with exit code {proc.returncode}")

    bfcl_verdicts: dict[tuple[str, str], tuple[bool, str | None]] = {
        key: (True, None) for key in outputs
    }
    for model in MODELS:
        for category in AGENTIC:
            lines = _score_file(score_dir, model, category).read_text().splitlines()
            for line in lines[1:]:
                entry = json.loads(line)
                bfcl_verdicts[(model, entry["id"])] = (False, entry["error"]["error_type"])

    agree = 0
    per_variant: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    disagreements = []
    for key, (variant, _raw) in outputs.items():
        same = farm_verdicts[key] == bfcl_verdicts[key]
        agree += same
        per_variant[variant][0] += same
        per_variant[variant][1] += 1
        if not same:
            disagreements.append((key, variant, farm_verdicts[key], bfcl_verdicts[key]))
    valid = sum(v[0] for v in bfcl_verdicts.values())
    print(
        f"agentic entries compared: {len(outputs)}   agree: {agree}   "
        f"disagree: {len(disagreements)}"
    )
    print(f"bfcl says valid: {valid}, invalid: {len(outputs) - valid}")
    kinds = collections.Counter(v[1] for v in bfcl_verdicts.values() if not v[0])
    for kind, n in sorted(kinds.items()):
        print(f"  {kind}: {n}")
    print("per variant (agree/total):")
    for variant in VARIANTS:
        a, n = per_variant[variant]
        print(f"  {variant:<18} {a}/{n}")
    for key, variant, farm_v, bfcl_v in disagreements[:20]:
        print(f"DISAGREE {key} [{variant}] farm={farm_v} bfcl={bfcl_v}")

    stats_checked = stats_agree = 0
    for model, mode in MODELS.items():
        if mode != "prompt":
            continue
        lines = _score_file(score_dir, model, "format_sensitivity").read_text().splitlines()
        header = json.loads(lines[0])
        failed = {json.loads(line)["id"] for line in lines[1:]}
        stats = sensitivity_stats((c.case_id, c.case_id not in failed) for c in sens_cases)
        mine = {
            "accuracy_max_delta": stats.max_delta,
            "accuracy_std": stats.std,
            "accuracy_variance": stats.variance,
            **{cfg: s.accuracy for cfg, s in stats.per_config.items()},
        }
        theirs = {
            k: (v["accuracy"] if isinstance(v, dict) else v)
            for k, v in header.items()
            if k not in ("accuracy", "correct_count", "total_count")
        }
        stats_checked += len(theirs)
        stats_agree += sum(1 for k, v in theirs.items() if mine.get(k) == v)
        print(
            f"format sensitivity {model}: max delta {stats.max_delta} "
            f"(bfcl {header['accuracy_max_delta']}), std {stats.std} "
            f"(bfcl {header['accuracy_std']}), {len(stats.per_config)} configs"
        )
    print(f"format-sensitivity header values compared: {stats_checked}   agree: {stats_agree}")
    csv_checked, csv_agree = compare_bfcl_csv(args.wheel, root, result_dir, score_dir)
    print(
        f"bfcl-csv cells compared (data_agentic.csv, agentic and Overall columns of "
        f"data_overall.csv): {csv_checked}   equal: {csv_agree}"
    )
    print(
        f"agentic scoring time: farm {farm_seconds:.2f} s, bfcl evaluate (agentic and format "
        f"sensitivity, with start-up) {bfcl_seconds:.1f} s"
    )
    print(f"files under {root}")


if __name__ == "__main__":
    main()
