"""The report commands load the database, Alembic and the renderers only when they run."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("alembic", "farm.db.migrate", "farm.report.queries", "farm.report.html")
PROBE = """
import json, sys
import farm.cli.compare, farm.cli.history, farm.cli.leaderboard
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def test_importing_leaderboard_compare_and_history_commands_loads_nothing_heavy() -> None:
    probe = PROBE.format(heavy=repr(HEAVY))
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_scoring_a_run_does_not_load_the_leaderboard_queries() -> None:
    probe = (
        "import sys, farm.finalize; "
        "print('farm.report.queries' in sys.modules, 'farm.report.latency' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "True"]
