"""BFCL v4 category names, groups and leaderboard sections, in one place.

The names are exactly BFCL's. Groups expand to leaf categories; sections are the
aggregates of the BFCL v4 leaderboard stored in ``run_scores`` with ``kind='section'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from farm.errors import SuiteError

NON_LIVE_AST: tuple[str, ...] = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
)
NON_LIVE: tuple[str, ...] = (*NON_LIVE_AST, "irrelevance")
LIVE_AST: tuple[str, ...] = (
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
)
LIVE: tuple[str, ...] = (*LIVE_AST, "live_irrelevance", "live_relevance")
SINGLE_TURN: tuple[str, ...] = (*NON_LIVE, *LIVE)
MULTI_TURN: tuple[str, ...] = (
    "multi_turn_base",
    "multi_turn_miss_func",
    "multi_turn_miss_param",
    "multi_turn_long_context",
)
MEMORY_BACKENDS: tuple[str, ...] = ("kv", "vector", "rec_sum")
MEMORY: tuple[str, ...] = tuple(f"memory_{b}" for b in MEMORY_BACKENDS)
WEB_SEARCH: tuple[str, ...] = ("web_search_base", "web_search_no_snippet")
#: BFCL's order: memory, then web search.
AGENTIC: tuple[str, ...] = (*MEMORY, *WEB_SEARCH)
FORMAT_SENSITIVITY = "format_sensitivity"
#: BFCL's scoring categories (``all_scoring``): single-turn, multi-turn, agentic.
ALL_SCORING: tuple[str, ...] = (*SINGLE_TURN, *MULTI_TURN, *AGENTIC)
#: Every BFCL v4 category, in BFCL's order (``all``): the scoring ones and format sensitivity.
ALL: tuple[str, ...] = (*ALL_SCORING, FORMAT_SENSITIVITY)
#: Categories run in prompt mode only: BFCL skips format sensitivity for FC models (its
#: cases vary the prompt's call and doc formats, which an FC request does not carry). The
#: call formats that run them say so (``CallFormat.runs_format_sensitivity``).
PROMPT_ONLY: frozenset[str] = frozenset({FORMAT_SENSITIVITY})
#: The memory scenarios in BFCL's order.
MEMORY_SCENARIOS: tuple[str, ...] = ("student", "customer", "finance", "healthcare", "notetaker")

GROUPS: dict[str, tuple[str, ...]] = {
    "all": ALL,
    "all_scoring": ALL_SCORING,
    "multi_turn": MULTI_TURN,
    "single_turn": SINGLE_TURN,
    "live": LIVE,
    "non_live": NON_LIVE,
    "non_python": ("simple_java", "simple_javascript"),
    "python": tuple(c for c in SINGLE_TURN if c not in ("simple_java", "simple_javascript")),
    "memory": MEMORY,
    "web_search": WEB_SEARCH,
    "agentic": AGENTIC,
}

#: Categories with no possible-answer file: scored on whether the output holds a call.
NO_ANSWER: frozenset[str] = frozenset({"irrelevance", "live_irrelevance", "live_relevance"})

#: The group directory of each category in BFCL's result and score trees.
GROUP_DIR: dict[str, str] = {
    **{c: "non_live" for c in NON_LIVE},
    **{c: "live" for c in LIVE},
    **{c: "multi_turn" for c in MULTI_TURN},
    **{c: f"agentic/memory/{c.removeprefix('memory_')}" for c in MEMORY},
    **{c: "agentic" for c in WEB_SEARCH},
    FORMAT_SENSITIVITY: "format_sensitivity",
}


def language_of(category: str) -> str:
    """The programming language of a category's function docs."""
    if category == "simple_java":
        return "java"
    if category == "simple_javascript":
        return "javascript"
    return "python"


def prompt_only_skip_note(mode: str, skipped: Iterable[str]) -> str:
    """The one line saying that a group's prompt-only categories are left out for ``mode``."""
    names = ", ".join(skipped)
    return (
        f"warning: {names} left out: it runs in prompt mode only and this model's mode is "
        f"{mode!r} (BFCL skips it for FC models)"
    )


def is_multi_turn(category: str) -> bool:
    """Whether a category is one of the multi-turn categories."""
    return category.startswith("multi_turn")


def is_memory(category: str) -> bool:
    """Whether a category is one of the memory categories."""
    return category in MEMORY


def is_web_search(category: str) -> bool:
    """Whether a category is one of the web-search categories."""
    return category in WEB_SEARCH


def is_agentic(category: str) -> bool:
    """Whether a category is agentic (memory or web search)."""
    return category in AGENTIC


def expand(
    names: Iterable[str],
    known: Iterable[str] = ALL,
    groups: Mapping[str, Iterable[str]] | None = None,
) -> list[str]:
    """Expand category and group names to leaf categories, in BFCL's order, deduplicated.

    ``known`` is the set of categories the suite at hand has (user suites may have others).
    ``groups`` maps group names to members (default: BFCL's :data:`GROUPS`).
    Raises :class:`SuiteError` naming the valid choices for an unknown name.
    """
    groups = GROUPS if groups is None else groups
    known_list = list(known)
    chosen: set[str] = set()
    for raw in names:
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            if name in groups:
                chosen.update(c for c in groups[name] if c in known_list)
            elif name in known_list:
                chosen.add(name)
            else:
                valid = ", ".join([*groups, *known_list])
                raise SuiteError(f"unknown category {name!r}; valid: {valid}")
    order = {c: i for i, c in enumerate(known_list)}
    return sorted(chosen, key=lambda c: order[c])
