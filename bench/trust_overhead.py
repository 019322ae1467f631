"""What verifying multi-turn environment sources costs, side by side in one run.

Builds the environments of the real suite's multi-turn cases three ways, interleaved:
without a check (sources the program supplies), with the trusted set given once, and as
the executors do it (trusted set looked up per case: settings, ``.env`` and the operator's
list). Prints milliseconds per case and the ratios to the unchecked build.

Usage: ``python bench/trust_overhead.py [WHEEL] [--cases N]`` (default: the bfcl-eval wheel
the tests download to ``~/.cache/farm-tests``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from farm.multiturn.envs import EnvironmentSources, ModuleSet, build_environment
from farm.suites.trust import trusted_digests
from farm.suites.wheel import read_wheel

DEFAULT_WHEEL = Path.home() / ".cache" / "farm-tests" / "bfcl_eval-2026.3.23-py3-none-any.whl"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("wheel", nargs="?", type=Path, default=DEFAULT_WHEEL)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    suite = read_wheel(args.wheel)
    cases = [c for c in suite.cases if c.category.startswith("multi_turn")][: args.cases]
    extra = suite.extra
    once = trusted_digests()

    def unchecked() -> EnvironmentSources:
        sources = EnvironmentSources.from_suite_extra(extra, trusted=once)
        return EnvironmentSources(sources.sources, sources.class_files, trusted=None)

    ways: dict[str, Callable[[], EnvironmentSources]] = {
        "unchecked": unchecked,
        "checked, set given": lambda: EnvironmentSources.from_suite_extra(extra, trusted=once),
        "checked, per case": lambda: EnvironmentSources.from_suite_extra(extra),
    }
    totals = dict.fromkeys(ways, 0.0)
    for _ in range(args.rounds):
        for name, make in ways.items():
            started = time.perf_counter()
            for case in cases:
                build_environment(
                    ModuleSet(make()),
                    case.extra["involved_classes"],
                    case.extra.get("initial_config"),
                    long_context=False,
                )
            totals[name] += time.perf_counter() - started
    runs = args.rounds * len(cases)
    base = totals["unchecked"]
    print(f"{len(cases)} multi-turn cases x {args.rounds} rounds, bfcl-eval {suite.version}")
    for name, total in totals.items():
        print(f"{name:20s} {total / runs * 1000:7.3f} ms/case  ratio {total / base:5.2f}")


if __name__ == "__main__":
    main()
