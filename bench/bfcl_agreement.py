"""Agreement of `farm evaluate` with the official `bfcl evaluate` on outputs of our own.

Generates many model outputs for the real BFCL v4 single-turn suite (see
bench/agreement_gen.py), in FC and prompt style, writes them as BFCL result trees (one
model folder per round, each round giving every case one variant), scores them with
`bfcl evaluate --partial-eval` (in the throwaway venv of bench/bfcl_env.py) and with
`farm evaluate`, and compares valid + error_type case by case.

Usage: python bench/bfcl_agreement.py [--rounds 6] [--limit-per-category N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.agreement_gen import VARIANTS, render  # noqa: E402
from bench.bfcl_env import ensure_bfcl_venv  # noqa: E402
from farm.suites.case import Case  # noqa: E402
from farm.suites.categories import GROUP_DIR, SINGLE_TURN  # noqa: E402

WHEEL = Path(
    os.environ.get("FARM_BFCL_WHEEL", "/tmp/bfclwheel/bfcl_eval-2026.3.23-py3-none-any.whl")
)
# Registry names (no "_") whose handlers decode like the farm's FC / prompt modes.
FC_DOTS = ["gpt-4o-2024-11-20-FC", "gpt-4.1-2025-04-14-FC", "gpt-4.1-mini-2025-04-14-FC",
           "gpt-4o-mini-2024-07-18-FC", "o3-2025-04-16-FC", "o4-mini-2025-04-16-FC",
           "qwen3-8b-FC", "qwen3-14b-FC", "qwen3-32b-FC", "qwen3-4b-FC"]  # fmt: skip
FC_PLAIN = ["qwen3-235b-a22b-instruct-2507-FC", "firefunction-v2-FC"]
PROMPT = ["gpt-4o-2024-11-20", "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14",
          "gpt-4o-mini-2024-07-18", "o3-2025-04-16", "o4-mini-2025-04-16",
          "gpt-4.1-nano-2025-04-14", "gpt-5-mini-2025-08-07", "qwen3-8b", "qwen3-14b",
          "qwen3-32b", "qwen3-4b"]  # fmt: skip


def farm(home: Path, *args: str) -> str:
    env = {**os.environ, "FARM_HOME": str(home)}
    env.pop("FARM_DATABASE_URL", None)
    env.pop("FARM_BROKER_URL", None)
    proc = subprocess.run(["farm", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"farm {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def load_suite(home: Path) -> list[Case]:
    farm(home, "suites", "pull", "bfcl", "--wheel", str(WHEEL))
    os.environ["FARM_HOME"] = str(home)
    from farm.config import load_settings
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.suites.store import load_cases, resolve_suite

    engine = open_database(load_settings())
    with session_scope(engine) as session:
        suite = resolve_suite(session, "bfcl")
        return load_cases(session, suite.id, categories=list(SINGLE_TURN))


def _dummy(prop: dict[str, Any]) -> Any:
    t = prop.get("type", "string")
    return {"integer": 3, "float": 2.5, "boolean": True, "array": ["a"], "dict": {"k": "v"}}.get(
        t, "value"
    )


def relevance_output(case: Case, variant: str, style: str, dots: bool, rng: random.Random) -> Any:
    """Outputs for the categories without an answer: a call, text, [] or an error."""
    choice = ["call", "text", "empty", "error", "malformed", "call2"][hash(variant) % 6]
    if choice in ("call", "call2", "malformed") and case.functions:
        doc = case.functions[0]
        props = doc["parameters"].get("properties", {})
        args = {p: _dummy(props[p]) for p in doc["parameters"].get("required", []) if p in props}
        out = render(case, [(doc["name"], args)], style, dots)
        if choice == "malformed":
            return out[:-2] if style == "prompt" else [{"f": "{bad json"}]
        return out
    if choice == "empty":
        return "[]" if style == "prompt" else []
    if choice == "error":
        return "Error during inference: 500 Internal Server Error"
    return "There is no suitable function for this request."


def build_round(
    cases: list[Case], style: str, dots: bool, rnd: int, root: Path, model: str
) -> dict[str, str]:
    names = list(VARIANTS)
    chosen: dict[str, str] = {}
    by_cat: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for index, case in enumerate(cases):
        variant = names[(index * 7 + rnd * 5) % len(names)]
        rng = random.Random(f"{case.case_id}/{rnd}/{style}")
        if case.answer is None:
            result = relevance_output(case, f"{variant}{rnd}", style, dots, rng)
        else:
            result = VARIANTS[variant](case, rng, style, dots)
        chosen[case.case_id] = variant
        by_cat[case.category].append({"id": case.case_id, "result": result})
    for category, entries in by_cat.items():
        folder = root / "result" / model / GROUP_DIR[category]
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"BFCL_v4_{category}_result.json").open("w") as fh:
            for entry in entries:
                fh.write(json.dumps(entry) + "\n")
    return chosen


def bfcl_verdicts(root: Path, model: str) -> dict[str, tuple[bool, str | None]]:
    """Failures from BFCL's score files; every other id of a scored category is valid."""
    out: dict[str, tuple[bool, str | None]] = {}
    for path in (root / "score" / model).rglob("BFCL_v4_*_score.json"):
        for line in path.read_text().splitlines()[1:]:
            entry = json.loads(line)
            out[str(entry["id"])] = (False, entry.get("error_type"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6, help="rounds per style")
    parser.add_argument("--limit-per-category", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    parser.add_argument("--show", type=int, default=25, help="disagreements to print")
    args = parser.parse_args()
    bfcl = ensure_bfcl_venv()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bfcl-agree-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "farm-home"
    cases = load_suite(home)
    if args.limit_per_category:
        seen: collections.Counter[str] = collections.Counter()
        cases = [
            c
            for c in cases
            if (seen.update([c.category]) or seen[c.category]) <= args.limit_per_category
        ]
    plan: list[tuple[str, str, bool]] = []
    for rnd in range(args.rounds):
        plan.append(("prompt", PROMPT[rnd % len(PROMPT)], False))
        fc_pool = FC_DOTS + FC_PLAIN
        model = fc_pool[rnd % len(fc_pool)]
        plan.append(("fc", model, model in FC_DOTS))
    if len({m for _, m, _ in plan}) != len(plan):
        raise SystemExit(f"--rounds {args.rounds} needs more registry names than are listed")
    chosen: dict[str, dict[str, str]] = {}
    for rnd, (style, model, dots) in enumerate(plan):
        chosen[model] = build_round(cases, style, dots, rnd, work, model)
    started = time.perf_counter()
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-unused",
        "BFCL_PROJECT_ROOT": str(work / "bfcl-root"),
    }
    (work / "bfcl-root").mkdir(exist_ok=True)
    proc = subprocess.run(
        [str(bfcl), "evaluate", "--model", ",".join(m for _, m, _ in plan),
         "--test-category", "single_turn", "--result-dir", str(work / "result"),
         "--score-dir", str(work / "score"), "--partial-eval"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    bfcl_s = time.perf_counter() - started
    compared = agree = 0
    by_variant: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    shown = 0
    category = {c.case_id: c.category for c in cases}
    for style, model, dots in plan:
        out = farm(home, "evaluate", "--bfcl-results", str(work / "result" / model), "--mode",
                   style, "--model", model, "--json",
                   "--underscore-to-dot" if dots else "--no-underscore-to-dot")  # fmt: skip
        run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
        theirs = bfcl_verdicts(work, model)
        for line in farm(home, "export", run_id, "--format", "jsonl").splitlines():
            rec = json.loads(line)
            mine = (bool(rec["valid"]), rec["error_type"])
            expected = theirs.get(rec["id"], (True, None))
            compared += 1
            variant = chosen[model][rec["id"]]
            key = f"{category[rec['id']].split('_')[0]}:{style}:{variant}"
            by_variant[key][0] += 1
            if mine == expected:
                agree += 1
                by_variant[key][1] += 1
            elif shown < args.show:
                shown += 1
                print(f"DISAGREE {model} {rec['id']} [{variant}] farm={mine} bfcl={expected}")
                print(f"   raw={json.dumps(rec['raw_output'])[:300]}")
    print(f"bfcl evaluate took {bfcl_s:.1f}s for {len(plan)} model folders")
    worst = sorted((v[1] / v[0], k, v) for k, v in by_variant.items() if v[1] < v[0])
    for _ratio, key, (n, ok) in worst[:20]:
        print(f"  {key}: {ok}/{n} agree")
    print(f"variants: {len(VARIANTS)}; style rounds: {len(plan)}")
    print(f"AGREEMENT: {agree} of {compared} cases agree ({agree / max(compared, 1):.4%})")
    return 0 if agree == compared else 1


if __name__ == "__main__":
    raise SystemExit(main())
