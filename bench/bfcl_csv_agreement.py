"""Agreement of `farm leaderboard --format bfcl-csv` with the CSV files of `bfcl evaluate`.

Writes BFCL result trees of our own for four registry models over EVERY BFCL v4 category
(bench/full_outputs.py: single-turn, multi-turn, agentic, and format sensitivity for the two
prompt-mode models; BFCL skips it for FC models, whose rows are then N/A), each entry with a
latency and token counts. Scores them with the official `bfcl evaluate --test-category all`
(throwaway venv of bench/bfcl_env.py) and with `farm evaluate`, then compares the six files
(data_overall, data_non_live, data_live, data_multi_turn, data_agentic,
data_format_sensitivity) cell for cell, row by model, twice:

* same verdicts: every stored result is given BFCL's own per-case verdict (from its score
  files) and the run is finalised again (farm.finalize), so the files compare the farm's
  aggregation and rendering alone: they must be equal;
* end to end: the farm's own verdicts, as `farm evaluate` scored them (a disagreement here is
  a checker difference; the per-category verdict agreement is printed next to it).

Model Link, Organization and License come from BFCL's model registry, which the farm does not
read; cost is compared only for models without prices in that registry (the farm knows none).

Usage: python bench/bfcl_csv_agreement.py [--keep DIR]
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
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench.bfcl_agreement import WHEEL, farm  # noqa: E402
from bench.bfcl_env import ensure_bfcl_venv  # noqa: E402
from bench.full_outputs import write_model_tree  # noqa: E402
from farm.suites.wheel import read_wheel  # noqa: E402

FILES = ("data_overall.csv", "data_non_live.csv", "data_live.csv", "data_multi_turn.csv",
         "data_agentic.csv", "data_format_sensitivity.csv")  # fmt: skip
#: (call format, BFCL registry name, FC names had "." replaced by "_")
MODELS = (
    ("prompt", "gpt-4o-2024-11-20", False),
    ("prompt", "gpt-4.1-2025-04-14", False),
    ("fc", "qwen3-235b-a22b-instruct-2507-FC", False),
    ("fc", "gpt-4.1-2025-04-14-FC", True),
)
#: Not compared: BFCL's registry metadata (the farm does not read it); Rank and Model are
#: checked as the row order, Model through the display-name mapping.
REGISTRY_ONLY = {"Model Link", "Organization", "License"}
LATENCY = ("Latency Mean (s)", "Latency Standard Deviation (s)", "Latency 95th Percentile (s)")
FS_STATS = ("Format Sensitivity Max Delta", "Format Sensitivity Standard Deviation")


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


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows in file order (no quoting, as BFCL writes it)."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    return header, [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]


def _kind(column: str) -> str:
    if column in LATENCY:
        return "latency"
    if column.startswith("Total Cost"):
        return "cost"
    if column in FS_STATS:
        return "fs statistic"
    return "fs configuration" if column.startswith("Config ") else "accuracy"


def compare(
    theirs_dir: Path, ours_dir: Path, to_bfcl: dict[str, str], priced: set[str], label: str
) -> tuple[int, int]:
    """Print and return (cells compared, equal) over the six files, rows matched by model."""
    tally: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for name in FILES:
        header_b, rows_b = read_csv(theirs_dir / name)
        header_f, rows_f = read_csv(ours_dir / name)
        if header_b != header_f:
            print(f"[{label}] HEADER MISMATCH in {name}")
            tally["header"][0] += 1
            continue
        tally["header"] = [tally["header"][0] + 1, tally["header"][1] + 1]
        theirs = {r["Model"]: r for r in rows_b}
        order_b = [r["Model"] for r in rows_b]
        order_f = [to_bfcl[r["Model"]] for r in rows_f]
        tally["row order"][0] += 1
        tally["row order"][1] += order_b == order_f
        if order_b != order_f:
            print(f"[{label}] ROW ORDER {name}: bfcl {order_b} farm {order_f}")
        for row in rows_f:
            expected = theirs[to_bfcl[row["Model"]]]
            for column in header_b:
                if (
                    column in ("Rank", "Model")
                    or column in REGISTRY_ONLY
                    or (column == "Total Cost ($)" and row["Model"] in priced)
                ):
                    continue
                kind = _kind(column)
                same = row[column] == expected[column]
                tally[kind][0] += 1
                tally[kind][1] += same
                if not same:
                    print(f"[{label}] DIFF {name} {row['Model']} {column}: "
                          f"farm={row[column]} bfcl={expected[column]}")  # fmt: skip
    for kind, (n, ok) in tally.items():
        print(f"[{label}] {kind}: {ok} of {n} equal")
    cells = [v for k, v in tally.items() if k not in ("header", "row order")]
    compared, equal = sum(n for n, _ in cells), sum(ok for _, ok in cells)
    same_frame = all(ok == n for k, (n, ok) in tally.items() if k in ("header", "row order"))
    print(f"[{label}] cells compared over the six files: {equal} of {compared} equal")
    return compared, equal if same_frame else -1


def bfcl_failures(score_dir: Path, model: str) -> set[str]:
    """Ids BFCL scored wrong (the entries after each score file's header)."""
    failed: set[str] = set()
    for path in (score_dir / model).rglob("BFCL_v4_*_score.json"):
        for line in path.read_text().splitlines()[1:]:
            failed.add(str(json.loads(line)["id"]))
    return failed


def give_bfcl_verdicts(home: Path, runs: dict[str, str], score_dir: Path) -> dict[str, list[int]]:
    """Store BFCL's verdict on every result of ``runs`` (model -> run id) and finalise again.

    Returns category -> [results, farm verdicts that already agreed].
    """
    os.environ["FARM_HOME"] = str(home)
    from sqlalchemy import select

    from farm.config import load_settings
    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.db.models import Result
    from farm.finalize import write_run_scores

    engine = open_database(load_settings())
    agreed: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for model, run_id in runs.items():
        failed = bfcl_failures(score_dir, model)
        with session_scope(engine) as session:
            rid = uuid.UUID(run_id)
            for row in session.scalars(select(Result).where(Result.run_id == rid)):
                valid = row.case_id not in failed
                agreed[row.category][0] += 1
                agreed[row.category][1] += bool(row.valid) == valid
                row.valid = valid
            session.flush()
            write_run_scores(session, rid)
    engine.dispose()
    return agreed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()
    bfcl = ensure_bfcl_venv()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bfcl-csv-agree-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "farm-home"
    farm(home, "suites", "pull", "bfcl", "--wheel", str(WHEEL))
    suite = read_wheel(WHEEL)
    total: collections.Counter[str] = collections.Counter()
    for rnd, (mode, model, dots) in enumerate(MODELS):
        total += write_model_tree(suite, work, model, mode, dots, rnd)
    names = display_names(bfcl, [m for _, m, _ in MODELS])
    fs = total["format_sensitivity"]
    print(f"{len(MODELS)} models, {sum(total.values())} result entries in "
          f"{len(total)} categories (format_sensitivity: {fs})")  # fmt: skip

    started = time.perf_counter()
    env = {**os.environ, "OPENAI_API_KEY": "sk-unused", "BFCL_PROJECT_ROOT": str(work / "root")}
    (work / "root").mkdir(exist_ok=True)
    proc = subprocess.run(
        [str(bfcl), "evaluate", "--model", ",".join(m for _, m, _ in MODELS),
         "--test-category", "all", "--result-dir", str(work / "result"),
         "--score-dir", str(work / "score")],
        env=env, capture_output=True, text=True, cwd=work / "root",
    )  # fmt: skip
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        return 1
    print(f"bfcl evaluate: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    runs: dict[str, str] = {}
    # BFCL's model table (whose order breaks ties) follows the result folder listing.
    listing = [p.name for p in (work / "result").iterdir()]
    for mode, model, dots in sorted(MODELS, key=lambda p: listing.index(p[1])):
        out = farm(home, "evaluate", "--bfcl-results", str(work / "result" / model), "--mode",
                   mode, "--model", model, "--json",
                   "--underscore-to-dot" if dots else "--no-underscore-to-dot")  # fmt: skip
        runs[model] = json.loads(out.strip().splitlines()[-1])["run_id"]
    print(f"farm evaluate: {time.perf_counter() - started:.1f} s")
    run_args = [a for rid in runs.values() for a in ("--run", rid)]
    to_bfcl = {m: names[m][0] for m in runs}
    priced = {m for m in runs if names[m][1]}

    farm(home, "leaderboard", *run_args, "--format", "bfcl-csv", "--out", str(work / "e2e-csv"))
    e2e = compare(work / "score", work / "e2e-csv", to_bfcl, priced, "end to end")
    agreed = give_bfcl_verdicts(home, runs, work / "score")
    for category, (n, ok) in sorted(agreed.items()):
        if ok != n:
            print(f"[end to end] verdicts of {category}: farm agrees with bfcl on {ok} of {n}")
    ok_all, n_all = sum(ok for _, ok in agreed.values()), sum(n for n, _ in agreed.values())
    print(f"[end to end] verdicts: farm agrees with bfcl on {ok_all} of {n_all}")
    farm(home, "leaderboard", *run_args, "--format", "bfcl-csv", "--out", str(work / "same-csv"))
    same = compare(work / "score", work / "same-csv", to_bfcl, priced, "same verdicts")
    print(f"summary: same verdicts {same[1]}/{same[0]} cells equal; "
          f"end to end {e2e[1]}/{e2e[0]}")  # fmt: skip
    return 0 if same[0] == same[1] and same[0] > 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
