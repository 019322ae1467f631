"""The column registry: every renderer shows what it lists, N/A rules included."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

from farm.report.columns import board_metrics, compact, leaderboard_columns, score_column
from farm.report.render import render_csv, render_json, render_markdown
from farm.report.rows import RunRow, Score
from farm.report.scores import section_cells
from farm.scoring.metrics import BFCL_METRICS, Metric
from tests.report.builders import T0


def _row(categories: dict[str, Score]) -> RunRow:
    row = RunRow(uuid.UUID(int=7), "m", "Model | One", "bfcl", "1", "fc", "done", None, T0)
    row.categories = categories
    row.sections = section_cells(categories)
    row.rank = 1
    return row


def test_every_view_follows_the_registry_and_its_na_rules() -> None:
    row = _row({"simple_python": Score(0.5, True, 4, 2), "my_own": Score(1.0, True, 2, 2)})
    columns = leaderboard_columns([row])
    header = next(csv.reader(io.StringIO(render_csv([row]))))
    assert header == [title for c in columns for title, _ in c.fields]
    # A category no metric names gets a column of its own (full views only).
    assert "my_own" in header and "my_own" not in render_markdown([row])
    line = next(csv.reader(io.StringIO(render_csv([row]).split("\n", 1)[1])))
    values = dict(zip(header, line, strict=True))
    assert values["Python Simple AST"] == "50.00"
    assert values["Non-Live AST Acc"] == "N/A"  # a member did not run
    assert values["Multi Turn Acc"] == "0.00"  # never N/A: missing counts as 0
    md = render_markdown([row])
    assert "Model \\| One" in md and "`00000000`" in md
    assert [c.header for c in compact(columns)][:4] == ["#", "Model", "Run", "Overall"]
    entry = json.loads(render_json([row]))["leaderboard"][0]
    assert entry["categories"]["my_own"]["accuracy"] == 1.0 and entry["mode"] == "fc"


def test_a_new_metric_is_one_entry_in_every_view() -> None:
    row = _row({"simple_python": Score(0.5, True, 4, 2)})
    metrics = [*BFCL_METRICS, Metric("simple_python", "Python Again", "Py", never_na=False)]
    columns = leaderboard_columns([row], metrics)
    assert [c.header for c in compact(columns)].count("Py") == 1
    extra = score_column(metrics[-1])
    assert extra.text(row).startswith("50.00% (") and extra.score(row) is not None
    assert board_metrics([row], metrics) == metrics


def test_a_benchmarks_own_columns_reach_every_view() -> None:
    from farm.benchmarks.base import Benchmark
    from farm.benchmarks.registry import benchmark
    from farm.scoring.sections import SectionScore

    @benchmark("ui_probe")
    class Probe(Benchmark):  # registered from the test alone; its category is unique
        categories = ("ui_probe_a", "ui_probe_b")
        section_names = ("overall", "both")
        columns = (("Probe", "overall"), ("Both", "both"))

        async def solve(self, *args: object, **kwargs: object) -> Any:
            raise NotImplementedError

        def score(self, *args: object, **kwargs: object) -> Any:
            raise NotImplementedError

        def sections(self, scores: Any) -> list[SectionScore]:
            a = scores.get("ui_probe_a")
            b = scores.get("ui_probe_b")
            ran = a is not None and b is not None and a.ran and b.ran
            acc = a.accuracy if a is not None and a.ran else 0.0
            return [SectionScore("overall", acc, ran, 4), SectionScore("both", acc / 2, ran, 4)]

    row = _row({"ui_probe_a": Score(0.5, True, 4, 2)})
    columns = leaderboard_columns([row])
    assert [c.header for c in compact(columns)][3:5] == ["Probe", "Both"]
    header = next(csv.reader(io.StringIO(render_csv([row]))))
    assert "Probe" in header and "Overall Acc" not in header and "ui_probe_a" in header
    md = render_markdown([row])
    assert "| Probe | Both |" in md
    line = md.splitlines()[2]
    assert "50.00%" in line and "N/A" in line  # overall never N/A, "both" is (b did not run)
