"""BFCL v4 leaderboard metrics: how each section and category is titled on the board.

Data only. The report's column registry (:mod:`farm.report.columns`) turns each
:class:`Metric` into one leaderboard column, so a new section or category on the board is
one entry here (or in a benchmark's own list of metrics).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One score column of a leaderboard.

    Attributes:
        name: The section or category it shows (a section wins a shared name, e.g.
            ``irrelevance``), as stored in ``run_scores``.
        title: Header in the full views (CSV), e.g. ``Overall Acc``.
        short: Header in the compact views (terminal table, Markdown, HTML, the web UI);
            None keeps the metric out of them.
        never_na: The value is shown even when a member was not run (it counts as 0);
            otherwise such a cell is N/A.
    """

    name: str
    title: str
    short: str | None = None
    never_na: bool = False


#: BFCL's leaderboard metrics, in BFCL's column order (``data_overall.csv``), with the
#: farm's Overall over the categories that ran after BFCL's Overall.
BFCL_METRICS: tuple[Metric, ...] = (
    Metric("overall", "Overall Acc", "Overall", never_na=True),
    # The farm's Overall over the categories that ran (BFCL's files never carry it).
    Metric("overall_ran", "Overall Acc (Categories Run Only)", "Overall (ran only)"),
    Metric("non_live", "Non-Live AST Acc", "Non-Live AST"),
    Metric("non_live_simple", "Non-Live Simple AST"),
    Metric("simple_python", "Python Simple AST"),
    Metric("simple_java", "Java Simple AST"),
    Metric("simple_javascript", "JavaScript Simple AST"),
    Metric("multiple", "Non-Live Multiple AST"),
    Metric("parallel", "Non-Live Parallel AST"),
    Metric("parallel_multiple", "Non-Live Parallel Multiple AST"),
    Metric("live", "Live Acc", "Live", never_na=True),
    Metric("live_simple", "Live Simple AST"),
    Metric("live_multiple", "Live Multiple AST"),
    Metric("live_parallel", "Live Parallel AST"),
    Metric("live_parallel_multiple", "Live Parallel Multiple AST"),
    Metric("multi_turn", "Multi Turn Acc", "Multi Turn", never_na=True),
    Metric("multi_turn_base", "Multi Turn Base"),
    Metric("multi_turn_miss_func", "Multi Turn Miss Func"),
    Metric("multi_turn_miss_param", "Multi Turn Miss Param"),
    Metric("multi_turn_long_context", "Multi Turn Long Context"),
    Metric("agentic", "Agentic Acc", "Agentic", never_na=True),
    Metric("web_search", "Web Search Acc"),
    Metric("web_search_base", "Web Search Base"),
    Metric("web_search_no_snippet", "Web Search No Snippet"),
    Metric("memory", "Memory Acc"),
    Metric("memory_kv", "Memory KV"),
    Metric("memory_vector", "Memory Vector"),
    Metric("memory_rec_sum", "Memory Recursive Summarization"),
    Metric("relevance", "Relevance Detection", "Relevance"),
    Metric("irrelevance", "Irrelevance Detection", "Irrelevance"),
)

#: Sections BFCL never shows as N/A.
NEVER_NA: frozenset[str] = frozenset(m.name for m in BFCL_METRICS if m.never_na)
