"""``farm demo`` timed side by side: the default sample, ``--full``, and an older farm.

Each configuration runs ``python -m farm demo`` as a child process in a fresh ``FARM_HOME``
(SQLite, the embedded executor) whose database already holds the suite (``farm suites pull
bfcl --wheel``, not timed), so the numbers are what a user sees on the second demo: the
wheel is read and compared, the simulator starts, the cases run and are scored. For each it
prints the wall time and the CPU time of the demo and its simulator (user + system, from
``getrusage(RUSAGE_CHILDREN)``), the cases run and the printed Overall, then the ratios.

It also checks behaviour: every case of the sampled run has the same verdict (valid, error
type) as in the full run, and with ``--baseline-ref`` the full run of the current tree equals
the older tree's run case by case (verdicts and raw outputs).

Everything talks to loopback only (the demo's own simulator); the wheel must be given.

Usage::

    python bench/demo_speed.py --wheel bfcl_eval-2026.3.23-py3-none-any.whl \\
        [--baseline-ref main] [--repeat 2] [--skip-full]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = re.compile(r"127\.0\.0\.1:\d+")
OVERALL = re.compile(r"Simulator \(FC\)\s*│\s*(\w+)\s*│\s*([\d.]+)%")


@dataclass
class Timing:
    """One demo run."""

    label: str
    wall_s: float
    cpu_s: float
    cases: int
    overall: str
    run_prefix: str
    db: Path


def _env(tree: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    env["FARM_HOME"] = str(home)
    env["FARM_DATABASE_URL"] = f"sqlite:///{home / 'farm.db'}"
    env.pop("FARM_BROKER_URL", None)
    return env


def _pull(tree: Path, home: Path, wheel: Path) -> None:
    command = [sys.executable, "-m", "farm", "suites", "pull", "bfcl", "--wheel", str(wheel)]
    done = subprocess.run(command, env=_env(tree, home), cwd=home, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"suite pull failed: {done.stderr.strip().splitlines()[-1:]}")


def run_demo(label: str, tree: Path, home: Path, wheel: Path, extra: list[str]) -> Timing:
    """Time one ``farm demo`` in ``home`` with the farm of ``tree``."""
    command = [sys.executable, "-m", "farm", "demo", "--wheel", str(wheel), *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # cwd: ``python -m`` puts the working directory first on sys.path, before PYTHONPATH
    done = subprocess.run(command, env=_env(tree, home), cwd=home, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        raise SystemExit(f"{label}: farm demo failed: {tail[0]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = OVERALL.search(done.stdout)
    cases = re.search(r"done: (\d+)/\d+ cases", done.stderr)
    return Timing(
        label=label,
        wall_s=wall,
        cpu_s=cpu,
        cases=int(cases.group(1)) if cases else -1,
        overall=f"{found.group(2)}%" if found else "?",
        run_prefix=found.group(1) if found else "",
        db=home / "farm.db",
    )


def verdicts(timing: Timing) -> dict[str, tuple[object, object, object]]:
    """``case_id -> (valid, error_type, raw_output)`` of the run ``timing`` made."""
    with sqlite3.connect(timing.db) as db:
        rows = db.execute(
            "SELECT case_id, valid, error_type, raw_output FROM results WHERE run_id LIKE ?",
            (timing.run_prefix + "%",),
        ).fetchall()
    # web-search outputs hold the simulator's page URLs, whose port differs between runs
    return {
        case_id: (valid, error, PORT.sub("127.0.0.1:PORT", raw or ""))
        for case_id, valid, error, raw in rows
    }


def compare(a: Timing, b: Timing, *, raw: bool) -> tuple[int, int, list[str]]:
    """(cases of ``a`` also in ``b``, of which equal, the first ids that differ)."""
    left, right = verdicts(a), verdicts(b)
    shared = [c for c in left if c in right]
    width = 3 if raw else 2
    differ = [c for c in shared if left[c][:width] != right[c][:width]]
    return len(shared), len(shared) - len(differ), differ[:5]


def _baseline_tree(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="the bfcl-eval wheel")
    parser.add_argument("--baseline-ref", help="a git ref of this repository to compare with")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration")
    parser.add_argument("--skip-full", action="store_true", help="time the sample only")
    parser.add_argument("--keep", type=Path, help="keep the homes (databases) here")
    args = parser.parse_args()
    wheel = args.wheel.resolve()
    results: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="farm-demo-speed-") as tmp:
        base = args.keep.resolve() if args.keep else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        configs: list[tuple[str, Path, list[str]]] = [("sample (default)", ROOT, [])]
        if not args.skip_full:
            configs.append(("--full", ROOT, ["--full"]))
        if args.baseline_ref:
            old = _baseline_tree(args.baseline_ref, base / "baseline")
            configs.append((f"{args.baseline_ref} (all cases)", old, []))
        for label, tree, extra in configs:
            for index in range(args.repeat):
                home = base / f"home-{len(results)}-{index}"
                home.mkdir()
                _pull(tree, home, wheel)
                timing = run_demo(label, tree, home, wheel, extra)
                results.setdefault(label, []).append(timing)
                print(
                    f"{label:28s} run {index + 1}: wall {timing.wall_s:6.1f} s  "
                    f"cpu {timing.cpu_s:6.1f} s  {timing.cases} cases  Overall {timing.overall}",
                    flush=True,
                )
        print()
        print(f"{'configuration':28s} {'wall s (best)':>14s} {'cpu s (best)':>13s} {'cases':>6s}")
        wall = {label: min(t.wall_s for t in ts) for label, ts in results.items()}
        cpu = {label: min(t.cpu_s for t in ts) for label, ts in results.items()}
        best = {label: min(ts, key=lambda t: t.wall_s) for label, ts in results.items()}
        for label, t in best.items():
            print(f"{label:28s} {wall[label]:14.1f} {cpu[label]:13.1f} {t.cases:6d}")
        first = "sample (default)"
        for label in best:
            if label != first:
                print(
                    f"ratio {label} / {first}: wall {wall[label] / wall[first]:.2f}x, "
                    f"cpu {cpu[label] / cpu[first]:.2f}x"
                )
        if "--full" in best:
            shared, same, differ = compare(best[first], best["--full"], raw=False)
            print(f"sample verdicts equal to the full run's: {same}/{shared} {differ or ''}")
        if "--full" in best and args.baseline_ref:
            old = f"{args.baseline_ref} (all cases)"
            print(
                f"ratio {old} / --full: wall {wall[old] / wall['--full']:.2f}x, "
                f"cpu {cpu[old] / cpu['--full']:.2f}x"
            )
            shared, same, differ = compare(best["--full"], best[old], raw=True)
            print(
                f"--full cases equal to the baseline's (verdict, raw output): {same}/{shared} "
                f"{differ or ''}"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
