"""Agreement of `farm leaderboard --format bfcl-csv` with the data_overall.csv of `bfcl evaluate`.

Writes BFCL result trees of our own for a few registry models (outputs from
bench/agreement_gen.py over the whole single-turn suite, each entry with a latency), scores
them with the official `bfcl evaluate` (throwaway venv of bench/bfcl_env.py) and with
`farm evaluate`, then writes `farm leaderboard --run ... --format bfcl-csv` and compares
every cell of data_overall.csv, data_non_live.csv, data_live.csv and data_multi_turn.csv,
row by model. Accuracy cells must be equal; latency cells are compared too; cost is only
comparable for models without prices in BFCL's registry (the farm knows no prices).

Usage: python bench/bfcl_csv_agreement.py [--rounds 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bfcl_agreement import FC_PLAIN, PROMPT, build_round, farm, load_suite  # noqa: E402
from bench.bfcl_env import ensure_bfcl_venv  # noqa: E402
from farm.suites.categories import GROUP_DIR  # noqa: E402

FILES = ("data_overall.csv", "data_non_live.csv", "data_live.csv", "data_multi_turn.csv")
NOT_ACCURACY = {
    "Rank",
    "Model",
    "Model Link",
    "Total Cost ($)",
    "Latency Mean (s)",
    "Latency Standard Deviation (s)",
    "Latency 95th Percentile (s)",
    "Format Sensitivity Max Delta",
    "Format Sensitivity Standard Deviation",
    "Organization",
    "License",
}
LATENCY = ("Latency Mean (s)", "Latency Standard Deviation (s)", "Latency 95th Percentile (s)")


def add_latencies(root: Path, model: str, seed: int) -> None:
    """Give every result entry a latency and token counts, as `bfcl generate` does."""
    rng = random.Random(seed)
    for path in sorted((root / "result" / model).rglob("*_result.json")):
        lines = []
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            entry["latency"] = round(rng.uniform(0.1, 6.0), 3)
            entry["input_token_count"] = rng.randint(100, 2000)
            entry["output_token_count"] = rng.randint(5, 200)
            lines.append(json.dumps(entry))
        path.write_text("\n".join(lines) + "\n")


def display_names(bfcl: Path, models: list[str]) -> dict[str, tuple[str, bool]]:
    """Registry name -> (BFCL display name, has prices), read from the venv's bfcl_eval."""
    code = (
        "import json,sys\n"
        "from bfcl_eval.constants.model_config import MODEL_CONFIG_MAPPING as M\n"
        "print(json.dumps({m: [M[m].display_name, M[m].input_price is not None] "
        "for m in sys.argv[1:]}))"
    )
    python = bfcl.parent / "python"
    out = subprocess.run(
        [str(python), "-c", code, *models], capture_output=True, text=True, check=True
    )
    return {k: (v[0], v[1]) for k, v in json.loads(out.stdout).items()}


def read_csv(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """Header and rows keyed by the Model column (no quoting, as BFCL writes it)."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    rows = {}
    for line in lines[1:]:
        cells = line.split(",")
        row = dict(zip(header, cells, strict=True))
        rows[row["Model"]] = row
    return header, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds (2 models each)")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    bfcl = ensure_bfcl_venv()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bfcl-csv-agree-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "farm-home"
    cases = load_suite(home)
    plan: list[tuple[str, str, bool]] = []
    for rnd in range(args.rounds):
        plan.append(("prompt", PROMPT[rnd % len(PROMPT)], False))
        plan.append(("fc", FC_PLAIN[rnd % len(FC_PLAIN)], False))
    for rnd, (style, model, dots) in enumerate(plan):
        build_round(cases, style, dots, rnd, work, model)
        add_latencies(work, model, rnd)
    names = display_names(bfcl, [m for _, m, _ in plan])
    groups = sorted({GROUP_DIR[c.category] for c in cases})
    print(f"{len(plan)} models x {len(cases)} cases ({', '.join(groups)})")

    started = time.perf_counter()
    env = {**os.environ, "OPENAI_API_KEY": "sk-unused", "BFCL_PROJECT_ROOT": str(work / "root")}
    (work / "root").mkdir(exist_ok=True)
    proc = subprocess.run(
        [str(bfcl), "evaluate", "--model", ",".join(m for _, m, _ in plan),
         "--test-category", "single_turn", "--result-dir", str(work / "result"),
         "--score-dir", str(work / "score")],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    print(f"bfcl evaluate: {time.perf_counter() - started:.1f} s")

    run_args: list[str] = []
    ours_to_bfcl: dict[str, str] = {}
    # BFCL's model table (whose order breaks ties) follows the result folder listing.
    listing = [p.name for p in (work / "result").iterdir()]
    for style, model, dots in sorted(plan, key=lambda p: listing.index(p[1])):
        out = farm(home, "evaluate", "--bfcl-results", str(work / "result" / model), "--mode",
                   style, "--model", model, "--json",
                   "--underscore-to-dot" if dots else "--no-underscore-to-dot")  # fmt: skip
        run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
        run_args += ["--run", run_id]
        ours_to_bfcl[model] = names[model][0]
    farm(home, "leaderboard", *run_args, "--format", "bfcl-csv", "--out", str(work / "farm-csv"))

    same_order = 0
    compared = equal = lat_compared = lat_equal = cost_compared = cost_equal = 0
    for name in FILES:
        header_b, theirs = read_csv(work / "score" / name)
        header_f, ours = read_csv(work / "farm-csv" / name)
        if header_b != header_f:
            print(f"HEADER MISMATCH in {name}:\n  bfcl {header_b}\n  farm {header_f}")
            return 1
        for ours_name, row in ours.items():
            bfcl_name = ours_to_bfcl[ours_name]
            expected = theirs[bfcl_name]
            has_prices = names[ours_name][1]
            for column in header_b:
                mine, want = row[column], expected[column]
                if column in LATENCY:
                    lat_compared += 1
                    lat_equal += mine == want
                    if mine != want:
                        print(f"LATENCY {name} {ours_name} {column}: farm={mine} bfcl={want}")
                elif column == "Total Cost ($)" and not has_prices:
                    cost_compared += 1
                    cost_equal += mine == want
                    if mine != want:
                        print(f"COST {name} {ours_name}: farm={mine} bfcl={want}")
                elif column not in NOT_ACCURACY:
                    compared += 1
                    equal += mine == want
                    if mine != want:
                        print(f"DIFF {name} {ours_name} {column}: farm={mine} bfcl={want}")
        ranks_b = [theirs[ours_to_bfcl[m]]["Rank"] for m in ours]
        ranks_f = [ours[m]["Rank"] for m in ours]
        if ranks_b != ranks_f:
            print(f"RANK ORDER differs in {name}: bfcl {ranks_b} farm {ranks_f}")
        else:
            same_order += 1
    print(f"row order (Rank): identical in {same_order} of {len(FILES)} files")
    print(f"accuracy cells: {equal} of {compared} equal")
    print(f"latency cells: {lat_equal} of {lat_compared} equal")
    print(f"cost cells (models without prices): {cost_equal} of {cost_compared} equal")
    return 0 if equal == compared and compared > 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
