"""Multi-turn verdict agreement: the farm's checker against the official ``bfcl evaluate``.

Generates model outputs of our own for all 800 BFCL multi-turn cases, for two prompt-mode
and two FC-mode registry models (3,200 entries): ground-truth replays (in one step or one
call per step), perturbed arguments, dropped, duplicated, reordered or early calls, missing
turns, inference errors, empty turns, undecodable steps, odd argument values and hostile
calls (harmless ones: BFCL really executes them). Every entry is scored by
``farm.multiturn.checker.score_multi_turn`` and by ``bfcl evaluate`` (bfcl-eval in a
throwaway venv, see bench/bfcl_env.py), and verdicts (valid, error type) are compared case
by case.

Usage: ``python bench/multiturn_agreement.py [--wheel PATH] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import collections
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
from multiturn_variants import VARIANTS, make_output  # noqa: E402

from farm.multiturn.checker import score_multi_turn  # noqa: E402
from farm.multiturn.envs import EnvironmentSources  # noqa: E402
from farm.multiturn.replay import ground_truth_turns  # noqa: E402
from farm.suites.wheel import read_wheel  # noqa: E402

DEFAULT_WHEEL = Path("/tmp/bfclwheel/bfcl_eval-2026.3.23-py3-none-any.whl")
MODELS = {
    "gpt-4.1-2025-04-14": "prompt",
    "gpt-4.1-2025-04-14-FC": "fc",
    "gpt-4o-2024-11-20": "prompt",
    "gpt-4o-2024-11-20-FC": "fc",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, default=DEFAULT_WHEEL)
    parser.add_argument("--keep", type=Path, default=None, help="keep result/score files here")
    parser.add_argument(
        "--offset", type=int, default=0, help="shift which variant each case gets (and the seeds)"
    )
    args = parser.parse_args()

    bfcl = ensure_bfcl_venv()
    suite = read_wheel(args.wheel)
    cases = [c for c in suite.cases if c.category.startswith("multi_turn")]
    sources = EnvironmentSources.from_suite_extra(suite.extra)
    truths = {
        c.case_id: ground_truth_turns(c.answer or [], sources, c.extra["involved_classes"])
        for c in cases
    }

    root = args.keep or Path(tempfile.mkdtemp(prefix="farm-mt-agree-"))
    result_dir, score_dir = root / "result", root / "score"
    outputs: dict[tuple[str, str], tuple[str, Any]] = {}
    for m_index, (model, mode) in enumerate(MODELS.items()):
        for category in sorted({c.category for c in cases}):
            lines = []
            for c in (c for c in cases if c.category == category):
                variant = VARIANTS[(c.position + m_index * 5 + args.offset) % len(VARIANTS)]
                seed = f"{c.case_id}:{model}:{args.offset}"
                raw = make_output(variant, truths[c.case_id], mode=mode, seed=seed)
                outputs[(model, c.case_id)] = (variant, raw)
                lines.append(json.dumps({"id": c.case_id, "result": raw}))
            path = result_dir / model / "multi_turn" / f"BFCL_v4_{category}_result.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n")

    started = time.perf_counter()
    farm_verdicts = {}
    by_id = {c.case_id: c for c in cases}
    for (model, case_id), (_variant, raw) in outputs.items():
        v = score_multi_turn(
            by_id[case_id],
            raw,
            mode=MODELS[model],
            underscore_to_dot=False,
            suite_extra=suite.extra,
        )
        farm_verdicts[(model, case_id)] = (v.valid, v.error_type)
    farm_seconds = time.perf_counter() - started

    env = dict(os.environ, BFCL_PROJECT_ROOT=str(root), OPENAI_API_KEY="sk-dummy-offline")
    started = time.perf_counter()
    proc = subprocess.run(
        [str(bfcl), "evaluate", "--model", ",".join(MODELS), "--test-category", "multi_turn",
         "--result-dir", str(result_dir), "--score-dir", str(score_dir)],
        env=env, capture_output=True, text=True, cwd=root,
    )  # fmt: skip
    bfcl_seconds = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"bfcl evaluate failed with exit code {proc.returncode}")

    bfcl_verdicts: dict[tuple[str, str], tuple[bool, str | None]] = {
        key: (True, None) for key in outputs
    }
    for model in MODELS:
        files = sorted((score_dir / model).rglob("BFCL_v4_multi_turn_*_score.json"))
        if len(files) != 4:
            raise SystemExit(f"expected 4 score files for {model}, found {len(files)}")
        for file in files:
            for line in file.read_text().splitlines()[1:]:
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
    print(f"entries compared: {len(outputs)}   agree: {agree}   disagree: {len(disagreements)}")
    print(f"bfcl says valid: {valid}, invalid: {len(outputs) - valid}")
    kinds = collections.Counter(v[1] for v in bfcl_verdicts.values() if not v[0])
    for kind, n in sorted(kinds.items()):
        print(f"  {kind}: {n}")
    print("per variant (agree/total):")
    for variant in VARIANTS:
        a, n = per_variant[variant]
        print(f"  {variant:<16} {a}/{n}")
    for key, variant, farm_v, bfcl_v in disagreements[:20]:
        print(f"DISAGREE {key} [{variant}] farm={farm_v} bfcl={bfcl_v}")
    print(
        f"scoring time: farm {farm_seconds:.1f} s, bfcl evaluate {bfcl_seconds:.1f} s "
        f"(ratio bfcl/farm {bfcl_seconds / max(farm_seconds, 1e-9):.1f}x, bfcl includes startup)"
    )
    print(f"files under {root}")


if __name__ == "__main__":
    main()
