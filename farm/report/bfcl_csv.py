"""BFCL's score CSV files (``data_overall.csv`` and friends), byte for byte in BFCL's format.

The conventions are those of ``bfcl evaluate`` (2026.3.23): BFCL's column headers, rows
joined with a bare ``","`` (no quoting), no trailing newline, rows sorted descending by the
file's sort column with N/A rows last (a stable sort, so ties keep the leaderboard order),
a 1-based Rank, accuracies as ``"{:.2f}%"`` of x100, cost and latency as ``str()`` of the
value rounded to 2 places, and ``N/A`` where BFCL shows N/A:

* a leaf category that was not run;
* a summary (Simple AST, AST Summary, Web Search / Memory Summary, Irrelevance
  Detection) with a member that was not run;
* never for the "overall" value of a group, nor for Overall Acc (a missing member counts 0);
* for format sensitivity's max delta, standard deviation (raw numbers, ``str()`` of BFCL's
  values rounded to 2 places) and per-configuration accuracies of a run without that
  category; ``data_format_sensitivity.csv`` is sorted by max delta, largest first.

Commas inside names are replaced by semicolons, since the files are not quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from farm.agentic.sensitivity import MAX_DELTA, STD
from farm.errors import ConfigError
from farm.report.rows import RunRow
from farm.suites.categories import LIVE, LIVE_AST, MULTI_TURN, NON_LIVE
from farm.suites.sensitivity import all_configs

Cell = float | str
NA = "N/A"

COLUMNS_NON_LIVE = [
    "Rank",
    "Model",
    "Non-Live Overall Acc",
    "AST Summary",
    "Simple AST",
    "Python Simple AST",
    "Java Simple AST",
    "JavaScript Simple AST",
    "Multiple AST",
    "Parallel AST",
    "Parallel Multiple AST",
    "Irrelevance Detection",
]
COLUMNS_LIVE = [
    "Rank",
    "Model",
    "Live Overall Acc",
    "AST Summary",
    "Python Simple AST",
    "Python Multiple AST",
    "Python Parallel AST",
    "Python Parallel Multiple AST",
    "Irrelevance Detection",
    "Relevance Detection",
]
COLUMNS_MULTI_TURN = [
    "Rank",
    "Model",
    "Multi Turn Overall Acc",
    "Base",
    "Miss Func",
    "Miss Param",
    "Long Context",
]
COLUMNS_AGENTIC = [
    "Rank",
    "Model",
    "Agentic Overall Acc",
    "Web Search Summary",
    "Web Search Base",
    "Web Search No Snippet",
    "Memory Summary",
    "Memory KV",
    "Memory Vector",
    "Memory Recursive Summarization",
]
COLUMNS_OVERALL = [
    "Rank",
    "Overall Acc",
    "Model",
    "Model Link",
    "Total Cost ($)",
    "Latency Mean (s)",
    "Latency Standard Deviation (s)",
    "Latency 95th Percentile (s)",
    "Non-Live AST Acc",
    "Non-Live Simple AST",
    "Non-Live Multiple AST",
    "Non-Live Parallel AST",
    "Non-Live Parallel Multiple AST",
    "Live Acc",
    "Live Simple AST",
    "Live Multiple AST",
    "Live Parallel AST",
    "Live Parallel Multiple AST",
    "Multi Turn Acc",
    "Multi Turn Base",
    "Multi Turn Miss Func",
    "Multi Turn Miss Param",
    "Multi Turn Long Context",
    "Web Search Acc",
    "Web Search Base",
    "Web Search No Snippet",
    "Memory Acc",
    "Memory KV",
    "Memory Vector",
    "Memory Recursive Summarization",
    "Relevance Detection",
    "Irrelevance Detection",
    "Format Sensitivity Max Delta",
    "Format Sensitivity Standard Deviation",
    "Organization",
    "License",
]
#: Columns of data_overall.csv written with str() rather than as a percentage.
RAW_OVERALL_COLUMNS = frozenset({4, 5, 6, 7, 32, 33})


def _text(value: str) -> str:
    return value.replace(",", ";").replace("\n", " ")


class _Cells:
    """BFCL display values of one run: a float, or "N/A"."""

    def __init__(self, row: RunRow) -> None:
        self.row = row

    def cat(self, name: str) -> Cell:
        score = self.row.categories.get(name)
        return score.accuracy if score is not None and score.ran else NA

    def section(self, name: str, *, na: bool) -> Cell:
        score = self.row.sections[name]
        return NA if na and not score.ran else score.accuracy

    def mean(self, names: Sequence[str]) -> Cell:
        values = [self.cat(n) for n in names]
        nums = [v for v in values if isinstance(v, float)]
        return sum(nums) / len(values) if len(nums) == len(values) else NA

    def raw(self, value: float | None) -> Cell:
        return NA if value is None else value


def _rows(runs: Sequence[RunRow], build: Callable[[_Cells], list[Cell]]) -> list[list[Cell]]:
    return [build(_Cells(r)) for r in runs]


def _columns(
    sections: Sequence[tuple[str, bool]], categories: Sequence[str]
) -> Callable[[_Cells], list[Cell]]:
    """A row builder: Rank, Model, the ``(section, N/A if not run)`` cells, the categories."""

    def build(c: _Cells) -> list[Cell]:
        return [
            NA,
            _text(c.row.display_name),
            *(c.section(name, na=na) for name, na in sections),
            *(c.cat(name) for name in categories),
        ]

    return build


# BFCL's column order is the category order of farm.suites.categories.
_non_live = _columns([("non_live", False), ("non_live", True), ("non_live_simple", True)], NON_LIVE)
_live = _columns([("live", False), ("live", True)], LIVE)
_multi_turn = _columns([("multi_turn", False)], MULTI_TURN)


WEB_SEARCH = ("web_search_base", "web_search_no_snippet")
MEMORY = ("memory_kv", "memory_vector", "memory_rec_sum")


def _agentic(c: _Cells) -> list[Cell]:
    return [
        NA,
        _text(c.row.display_name),
        c.section("agentic", na=False),
        c.mean(WEB_SEARCH),
        *(c.cat(n) for n in WEB_SEARCH),
        c.mean(MEMORY),
        *(c.cat(n) for n in MEMORY),
    ]


def _overall(c: _Cells) -> list[Cell]:
    lat = c.row.latency
    info = c.row.model_info
    return [
        NA,
        c.section("overall", na=False),
        _text(c.row.display_name),
        _text(info.get("url", NA)),
        c.raw(lat.cost if lat else None),
        c.raw(lat.mean if lat else None),
        c.raw(lat.std if lat else None),
        c.raw(lat.p95 if lat else None),
        c.section("non_live", na=True),
        c.section("non_live_simple", na=True),
        *(c.cat(n) for n in ("multiple", "parallel", "parallel_multiple")),
        c.section("live", na=False),
        *(c.cat(n) for n in LIVE_AST),
        c.section("multi_turn", na=False),
        *(c.cat(n) for n in MULTI_TURN),
        c.mean(WEB_SEARCH),
        *(c.cat(n) for n in WEB_SEARCH),
        c.mean(MEMORY),
        *(c.cat(n) for n in MEMORY),
        c.cat("live_relevance"),
        c.section("irrelevance", na=True),
        c.raw(c.row.stat(MAX_DELTA)),
        c.raw(c.row.stat(STD)),
        _text(info.get("org", NA)),
        _text(info.get("license", NA)),
    ]


#: ``data_format_sensitivity.csv``: these, then ``Config <configuration>`` for each of
#: BFCL's 26 configurations in its order.
COLUMNS_FORMAT_SENSITIVITY_PREFIX = [
    "Rank",
    "Model",
    "Format Sensitivity Max Delta",
    "Format Sensitivity Standard Deviation",
]
COLUMNS_FORMAT_SENSITIVITY = [
    *COLUMNS_FORMAT_SENSITIVITY_PREFIX,
    *(f"Config {cfg}" for cfg in all_configs()),
]
#: Its columns written with str() (the two statistics) rather than as a percentage.
RAW_FORMAT_SENSITIVITY_COLUMNS = frozenset({2, 3})


def _format_sensitivity(c: _Cells) -> list[Cell]:
    fs = c.row.format_sensitivity
    configs = fs.configs if fs is not None else {}
    return [
        NA,
        _text(c.row.display_name),
        c.raw(c.row.stat(MAX_DELTA)),
        c.raw(c.row.stat(STD)),
        *(configs[cfg].accuracy if cfg in configs else NA for cfg in all_configs()),
    ]


def format_table(
    rows: list[list[Cell]],
    header: Sequence[str],
    sort_column: int,
    raw_columns: frozenset[int] = frozenset(),
) -> str:
    """Sort, rank and format rows exactly as BFCL's ``write_score_csv_file`` does."""
    ordered = sorted(
        rows,
        key=lambda r: r[sort_column] if not isinstance(r[sort_column], str) else -1.0,
        reverse=True,
    )
    lines = [",".join(header)]
    for rank, row in enumerate(ordered, start=1):
        out = [str(rank)]
        for j, value in enumerate(row[1:], start=1):
            if isinstance(value, str):
                out.append(value)
            elif j in raw_columns:
                out.append(str(value))
            else:
                out.append(f"{value * 100:.2f}%")
        lines.append(",".join(out))
    return "\n".join(lines)


def render_bfcl_csv(runs: Sequence[RunRow]) -> dict[str, str]:
    """File name -> content of every BFCL score CSV the farm can fill."""
    return {
        "data_overall.csv": format_table(
            _rows(runs, _overall), COLUMNS_OVERALL, 1, RAW_OVERALL_COLUMNS
        ),
        "data_non_live.csv": format_table(_rows(runs, _non_live), COLUMNS_NON_LIVE, 2),
        "data_live.csv": format_table(_rows(runs, _live), COLUMNS_LIVE, 2),
        "data_multi_turn.csv": format_table(_rows(runs, _multi_turn), COLUMNS_MULTI_TURN, 2),
        "data_agentic.csv": format_table(_rows(runs, _agentic), COLUMNS_AGENTIC, 2),
        "data_format_sensitivity.csv": format_table(
            _rows(runs, _format_sensitivity),
            COLUMNS_FORMAT_SENSITIVITY,
            2,
            RAW_FORMAT_SENSITIVITY_COLUMNS,
        ),
    }


def write_bfcl_csv(runs: Sequence[RunRow], out_dir: Path) -> list[Path]:
    """Write the BFCL score CSVs into ``out_dir`` (created if needed); return the paths."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content in render_bfcl_csv(runs).items():
            path = out_dir / name
            path.write_text(content, encoding="utf-8")
            paths.append(path)
    except OSError as exc:
        raise ConfigError(f"cannot write BFCL CSV files to {out_dir}: {exc.strerror}") from exc
    return paths
