"""Scoring speed: `farm evaluate` vs `bfcl evaluate` on the same 3,641 single-turn outputs.

Writes one BFCL result tree per style (prompt and FC) with a mix of right and wrong answers
for every single-turn case of BFCL v4 (bench/agreement_gen.py), then times both scorers as
whole processes, side by side, on the same files: `bfcl evaluate` in its venv (see
bench/bfcl_env.py) and `farm evaluate` on an embedded SQLite database that already holds
the suite (loading the suite is a one-time step for the farm, as installing the package is
for BFCL). Prints the wall times and the ratio.

Usage: python bench/score_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bfcl_agreement import build_round, load_suite  # noqa: E402
from bench.bfcl_env import ensure_bfcl_venv  # noqa: E402

STYLES = (("prompt", "gpt-4o-2024-11-20", False), ("fc", "gpt-4o-2024-11-20-FC", True))


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bfcl = ensure_bfcl_venv()
    work = Path(tempfile.mkdtemp(prefix="score-speed-"))
    home = work / "farm-home"
    cases = load_suite(home)
    print(f"{len(cases)} single-turn cases")
    farm_env = {**os.environ, "FARM_HOME": str(home)}
    farm_env.pop("FARM_DATABASE_URL", None)
    bfcl_env = {**os.environ, "OPENAI_API_KEY": "sk-unused", "BFCL_PROJECT_ROOT": str(work / "b")}
    (work / "b").mkdir()
    ratios = []
    for rnd, (style, model, dots) in enumerate(STYLES):
        build_round(cases, style, dots, rnd, work, model)
        result_dir, score_dir = str(work / "result"), str(work / "score")
        bfcl_cmd = [str(bfcl), "evaluate", "--model", model, "--test-category", "single_turn",
                    "--result-dir", result_dir, "--score-dir", score_dir]  # fmt: skip
        farm_cmd = ["farm", "evaluate", "--bfcl-results", str(work / "result" / model),
                    "--mode", style, "--model", model]  # fmt: skip
        bfcl_times, farm_times = [], []
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            bfcl_times.append(timed(bfcl_cmd, bfcl_env))
            farm_times.append(timed(farm_cmd, farm_env))
        b, f = statistics.median(bfcl_times), statistics.median(farm_times)
        ratios.append(b / f)
        print(f"{style:>6}: bfcl evaluate {b:6.2f}s  farm evaluate {f:6.2f}s  "
              f"farm is {b / f:5.1f}x faster (median of {args.repeat})")  # fmt: skip
    print(f"SPEED RATIO (bfcl / farm, whole process): {min(ratios):.1f}x or better")
    return 0 if min(ratios) >= 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
