"""``python -m farm.simulator``: serve cases from a JSON file (used for child processes).

``farm simulate`` is the user-facing command; this entry point exists so that
:func:`farm.simulator.server.running_simulator` can start the server in a child process
without a database.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from farm.errors import FarmError
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import cases_from_json, serve


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve until terminated."""
    parser = argparse.ArgumentParser(prog="python -m farm.simulator")
    parser.add_argument("--cases-file", required=True, type=Path)
    parser.add_argument("--config-json", default="{}")
    parser.add_argument("--ready-file", type=Path)
    args = parser.parse_args(argv)
    try:
        config = SimulatorConfig.model_validate_json(args.config_json)
        cases, suite_extra = cases_from_json(args.cases_file.read_text(encoding="utf-8"))
    except (OSError, ValidationError, FarmError) as exc:
        print(f"farm simulator: error: {exc}", file=sys.stderr)
        return 2

    def ready(port: int) -> None:
        if args.ready_file is not None:
            tmp = args.ready_file.with_suffix(".tmp")
            tmp.write_text(str(port))
            tmp.replace(args.ready_file)
        print(f"farm simulator listening on http://{config.host}:{port}/v1", flush=True)

    try:
        serve(cases, config, suite_extra=suite_extra, ready=ready)
    except FarmError as exc:
        print(f"farm simulator: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
