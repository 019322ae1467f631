"""The leaderboard's columns as data: every renderer iterates :func:`leaderboard_columns`.

A :class:`Column` says how it appears in each view: its header and cell text in the compact
views (terminal table, Markdown, HTML, the web UI), its fields in the full CSV, its entry in
the JSON document, and how the web UI sorts by it. Score columns are built from the
benchmark's :meth:`~farm.benchmarks.base.Benchmark.metrics` (its sections and categories,
with their titles and N/A rule), so a new section or category on the board is one entry;
a category the runs have but the list lacks (a user suite's) gets a column of its own.

N/A rule (BFCL's ``data_overall.csv``): a metric marked ``never_na`` is always shown (a
member that was not run counts as 0); any other cell is N/A when its category, or a member
of its section, was not run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from farm.benchmarks.base import StatMetric
from farm.benchmarks.registry import DEFAULT_BENCHMARK, benchmark_of, benchmarks, get_benchmark
from farm.report.rows import RunRow, Score
from farm.scoring.metrics import Metric

Text = Callable[[RunRow], str]


@dataclass(frozen=True)
class Column:
    """One leaderboard column.

    Attributes:
        key: Stable identifier (the metric name for score columns), used in URLs.
        header: Header in the compact views; None keeps the column out of them.
        text: Cell text in the compact views.
        fields: ``(header, value)`` of each of its fields in the full CSV, in order.
        json: ``(key, value)`` of its entry in each JSON row; None for no entry.
        metric: The metric behind a score column; None for the others.
        left: Left-aligned (names) rather than right-aligned (numbers).
        code: An identifier, shown in monospace.
        present: Whether the compact views show it for these rows (None: always).
        sort: Sort key in the web UI (the value; N/A sorts below every value); None: not
            sortable.
    """

    key: str
    header: str | None
    text: Text
    fields: tuple[tuple[str, Text], ...] = ()
    json: tuple[str, Callable[[RunRow], Any]] | None = None
    metric: Metric | None = None
    left: bool = False
    code: bool = False
    present: Callable[[Sequence[RunRow]], bool] | None = None
    sort: Callable[[RunRow], Any] | None = None

    def score(self, row: RunRow) -> Score | None:
        """The score a score column shows for ``row``; None for N/A or a non-score column."""
        if self.metric is None:
            return None
        return shown(row, self.metric.name, self.metric.never_na)


def shown(row: RunRow, name: str, never_na: bool | None = None) -> Score | None:
    """The score of section or category ``name`` to display, or None for N/A.

    ``never_na`` says whether the metric is shown even when a member did not run; by
    default the row's benchmark decides (:meth:`~farm.benchmarks.base.Benchmark.never_na`).
    """
    score = row.score(name)
    if score is None:
        return None
    if not score.ran:
        if never_na is None:
            never_na = name in benchmark_of(row.categories).never_na()
        if not never_na:
            return None
    return score


def pct(value: float) -> str:
    """An accuracy as a percentage with two decimals, e.g. ``61.25%``."""
    return f"{value * 100:.2f}%"


def cell_text(score: Score | None, *, ci: bool = True) -> str:
    """``61.25% (58.10-64.30)`` or ``N/A``."""
    if score is None:
        return "N/A"
    if not ci or score.n == 0:
        return pct(score.accuracy)
    return f"{pct(score.accuracy)} ({score.ci_low * 100:.1f}-{score.ci_high * 100:.1f})"


def num(value: float | None) -> str:
    """A raw number as BFCL writes it, or N/A."""
    return "N/A" if value is None else str(value)


def _percent(value: float | None) -> str:
    return "N/A" if value is None else f"{value * 100:.2f}"


def coverage(row: RunRow) -> str:
    """``12 cats / 1,234 cases``, and the case selection when the run has one."""
    text = f"{len(row.categories_ran)} cats / {row.n_cases:,} cases"
    return f"{text} [{row.selection}]" if row.selection else text


def repeats_text(row: RunRow) -> str:
    """``3x pass@3 90.00% pass^3 70.00% 4 flaky`` for a repeat group, ``1x`` otherwise."""
    rep = row.repeats
    if rep is None:
        return "1x"
    k = rep.k
    return (
        f"{k}x pass@{k} {pct(rep.pass_at_k)} pass^{k} {pct(rep.pass_hat_k)} {len(rep.flaky)} flaky"
    )


def _repeats_json(row: RunRow) -> dict[str, Any] | None:
    rep = row.repeats
    if rep is None:
        return None
    return {
        "group": str(rep.group),
        "k": rep.k,
        "planned": rep.planned,
        "run_ids": [str(r) for r in rep.run_ids],
        "seeds": list(rep.seeds),
        "cases": rep.cases,
        "pass_at_k": rep.pass_at_k,
        "pass_hat_k": rep.pass_hat_k,
        "flaky": list(rep.flaky),
    }


def _repeat(pick: Callable[[Any], str], single: str) -> Text:
    return lambda r: single if r.repeats is None else pick(r.repeats)


def _any_repeats(rows: Sequence[RunRow]) -> bool:
    return any(r.repeats is not None for r in rows)


#: Header of the farm's Overall over the categories that ran (BFCL's files never carry it).
RAN_OVERALL_HEADER = "Overall (ran only)"
#: What that column means, for footnotes.
RAN_OVERALL_NOTE = (
    "Overall (ran only): BFCL's Overall over the categories that ran; "
    "BFCL's Overall counts a category that was not run as 0."
)
#: The footnote of a board with repeat groups.
REPEATS_NOTE = (
    "Repeated runs: mean over the repeats, 95% t interval; "
    "pass@k: right in at least one repeat; pass^k: right in all."
)


def latency_text(row: RunRow) -> str:
    """``mean / std / p95`` in seconds."""
    lat = row.latency
    if lat is None or lat.mean is None:
        return "N/A"
    return f"{lat.mean} / {num(lat.std)} / {num(lat.p95)}"


def cost_text(row: RunRow) -> str:
    """Total cost in dollars, or N/A."""
    return "N/A" if row.latency is None or row.latency.cost is None else f"${row.latency.cost}"


def web_text(row: RunRow) -> str:
    """``3+9 searches, 5+15 fetches, $0.045`` (provider/live + from the store), or N/A."""
    return "N/A" if row.web is None else row.web.short()


def _web(attr: str) -> Text:
    return lambda r: "N/A" if r.web is None else str(getattr(r.web, attr))


def _any_web(rows: Sequence[RunRow]) -> bool:
    return any(r.web is not None for r in rows)


def score_json(score: Score) -> dict[str, Any]:
    """A score as a JSON object."""
    return {
        "accuracy": score.accuracy,
        "ran": score.ran,
        "n": score.n,
        "correct": score.correct,
        "errors": score.errors,
        "ci95": [score.ci_low, score.ci_high],
    }


def _latency_json(row: RunRow) -> dict[str, Any] | None:
    lat = row.latency
    if lat is None:
        return None
    return {
        "count": lat.count,
        "mean_s": lat.mean,
        "std_s": lat.std,
        "p95_s": lat.p95,
        "input_tokens": lat.input_tokens,
        "output_tokens": lat.output_tokens,
        "cost_usd": lat.cost,
    }


def _lat(attr: str) -> Text:
    return lambda r: num(getattr(r.latency, attr) if r.latency else None)


def _mean(row: RunRow) -> float:
    return row.latency.mean if row.latency and row.latency.mean is not None else -1.0


def _cost(row: RunRow) -> float:
    return row.latency.cost if row.latency and row.latency.cost is not None else -1.0


def score_column(metric: Metric) -> Column:
    """The column of one metric: compact cell with interval, three CSV fields (percent)."""
    name, never_na = metric.name, metric.never_na

    def value(pick: Callable[[Score], float]) -> Text:
        def text(row: RunRow) -> str:
            score = shown(row, name, never_na)
            return "N/A" if score is None else _percent(pick(score))

        return text

    def sort(row: RunRow) -> float:
        score = shown(row, name, never_na)
        return -1.0 if score is None else score.accuracy

    return Column(
        key=name,
        header=metric.short,
        text=lambda r: cell_text(shown(r, name, never_na)),
        fields=(
            (metric.title, value(lambda s: s.accuracy)),
            (f"{metric.title} CI Low", value(lambda s: s.ci_low)),
            (f"{metric.title} CI High", value(lambda s: s.ci_high)),
        ),
        metric=metric,
        sort=sort,
    )


def stat_column(metric: StatMetric) -> Column:
    """The column of a raw statistic (format sensitivity): ``str()`` of the value, or N/A.

    Shown in the compact views only when a row has the statistic.
    """
    name = metric.name

    def text(row: RunRow) -> str:
        return num(row.stat(name))

    def sort(row: RunRow) -> float:
        value = row.stat(name)
        return -1.0 if value is None else value

    return Column(
        key=name,
        header=metric.short,
        text=text,
        fields=((metric.title, text),),
        present=lambda rows: any(r.stat(name) is not None for r in rows),
        sort=sort,
    )


def metric_column(metric: Metric) -> Column:
    """The column of a benchmark metric: a score column, or a statistic's."""
    return stat_column(metric) if isinstance(metric, StatMetric) else score_column(metric)


def _format_sensitivity_json(row: RunRow) -> dict[str, Any] | None:
    fs = row.format_sensitivity
    if fs is None:
        return None
    return {**fs.stats, "configs": {cfg: score_json(s) for cfg, s in fs.configs.items()}}


def _info(
    key: str,
    header: str | None,
    title: str,
    text: Text,
    json: tuple[str, Callable[[RunRow], Any]],
    **kwargs: Any,
) -> Column:
    """A column shown as ``text`` in every view, titled ``title`` in the CSV."""
    return Column(key, header, text, ((title, text),), json, **kwargs)


HEAD: tuple[Column, ...] = (
    _info("rank", "#", "Rank", lambda r: str(r.rank), ("rank", lambda r: r.rank),
          sort=lambda r: r.rank),
    _info("model", "Model", "Model", lambda r: r.display_name,
          ("display_name", lambda r: r.display_name), left=True,
          sort=lambda r: r.display_name.lower()),
    _info("model_key", None, "Model Key", lambda r: r.model_key, ("model", lambda r: r.model_key)),
    Column("run", "Run", lambda r: r.short_id, (("Run", lambda r: str(r.run_id)),),
           ("run_id", lambda r: str(r.run_id)), left=True, code=True),
    _info("suite", None, "Suite", lambda r: r.suite, ("suite", lambda r: r.suite)),
    _info("created", None, "Created", lambda r: r.created_at.isoformat(),
          ("created_at", lambda r: r.created_at.isoformat())),
    _info("label", None, "Label", lambda r: r.label or "", ("label", lambda r: r.label)),
    _info("status", None, "Status", lambda r: r.status, ("status", lambda r: r.status)),
    Column("mode", None, lambda r: r.mode, json=("mode", lambda r: r.mode)),
)  # fmt: skip
TAIL: tuple[Column, ...] = (
    Column("latency", "Latency s (mean/std/p95)", latency_text,
           (("Latency Mean (s)", _lat("mean")),
            ("Latency Standard Deviation (s)", _lat("std")),
            ("Latency 95th Percentile (s)", _lat("p95"))),
           ("latency", _latency_json), sort=_mean),
    Column("cost", "Cost", cost_text, (("Total Cost ($)", _lat("cost")),),
           sort=_cost),
    Column("web", "Web (provider/live+stored)", web_text,
           (("Web Searches (Provider Calls)", _web("searches")),
            ("Web Searches (Stored)", _web("searches_stored")),
            ("Web Fetches (Live)", _web("fetches")),
            ("Web Fetches (Stored)", _web("fetches_stored")),
            ("Web Replay Misses", _web("replay_misses")),
            ("Web Search Cost ($)", lambda r: "N/A" if r.web is None else r.web.cost_text()[1:])),
           ("web", lambda r: None if r.web is None else r.web.as_json()),
           present=_any_web,
           sort=lambda r: -1.0 if r.web is None else r.web.cost_usd),
    Column("coverage", "Coverage", coverage,
           (("Categories Run", lambda r: " ".join(r.categories_ran)),
            ("Cases", lambda r: str(r.n_cases))),
           ("coverage", lambda r: {"categories": r.categories_ran, "cases": r.n_cases}),
           sort=lambda r: r.n_cases),
    _info("errors", "Errors", "Inference Errors", lambda r: str(r.errors),
          ("inference_errors", lambda r: r.errors), sort=lambda r: r.errors),
    _info("truncated", "Truncated", "Truncated Answers", _lat("truncated"),
          ("truncated", lambda r: r.latency.truncated if r.latency else None),
          sort=lambda r: r.latency.truncated if r.latency else -1),
    Column("repeats", "Repeats", repeats_text,
           (("Repeats", _repeat(lambda p: str(p.k), "1")),
            ("Pass@k", _repeat(lambda p: _percent(p.pass_at_k), "N/A")),
            ("Pass^k", _repeat(lambda p: _percent(p.pass_hat_k), "N/A")),
            ("Flaky Cases", _repeat(lambda p: str(len(p.flaky)), "0"))),
           ("repeats", _repeats_json), present=_any_repeats),
    _info("selection", None, "Case Selection", lambda r: r.selection or "",
          ("case_selection", lambda r: r.selection)),
    Column("sections", None, lambda r: "",
           json=("sections", lambda r: {k: score_json(v) for k, v in r.sections.items()})),
    Column("categories", None, lambda r: "",
           json=("categories", lambda r: {k: score_json(v) for k, v in r.categories.items()})),
    Column("format_sensitivity", None, lambda r: "",
           json=("format_sensitivity", _format_sensitivity_json)),
)  # fmt: skip


def benchmark_metrics(rows: Sequence[RunRow] = ()) -> list[Metric]:
    """The metrics of the benchmarks of ``rows`` (the default benchmark's if none), merged."""
    benches = list({id(b): b for b in (benchmark_of(r.categories) for r in rows)}.values())
    if not benches:
        benches = [get_benchmark(DEFAULT_BENCHMARK)]
    merged: dict[str, Metric] = {}
    for bench in benches:
        for metric in bench.metrics():
            merged.setdefault(metric.name, metric)
    return list(merged.values())


def all_metrics() -> dict[str, Metric]:
    """Every registered benchmark's metrics by name (the first registered wins a name)."""
    merged: dict[str, Metric] = {}
    for bench in benchmarks():
        for metric in bench.metrics():
            merged.setdefault(metric.name, metric)
    return merged


def board_metrics(
    rows: Sequence[RunRow] = (), metrics: Sequence[Metric] | None = None
) -> list[Metric]:
    """``metrics`` (default: the rows' benchmarks'), then one per category no metric names."""
    chosen = benchmark_metrics(rows) if metrics is None else list(metrics)
    known = {m.name for m in chosen}
    extra = dict.fromkeys(c for r in rows for c in r.categories if c not in known)
    return [*chosen, *(Metric(c, c) for c in extra)]


def leaderboard_columns(
    rows: Sequence[RunRow] = (), metrics: Sequence[Metric] | None = None
) -> tuple[Column, ...]:
    """Every column of a leaderboard of ``rows``, in display order.

    Score columns come from the benchmark's metrics (:meth:`Benchmark.metrics`), or from
    ``metrics`` when given.
    """
    return (*HEAD, *(metric_column(m) for m in board_metrics(rows, metrics)), *TAIL)


def compact(columns: Sequence[Column], rows: Sequence[RunRow] = ()) -> list[Column]:
    """The columns of the compact views: those with a compact header, present for ``rows``."""
    return [c for c in columns if c.header is not None and (c.present is None or c.present(rows))]


def footnote(rows: Sequence[RunRow]) -> str:
    """What the compact views say under the table about its less usual columns."""
    return f"{RAN_OVERALL_NOTE} {REPEATS_NOTE}" if _any_repeats(rows) else RAN_OVERALL_NOTE
