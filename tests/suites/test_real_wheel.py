"""The real bfcl-eval 2026.3.23 wheel: exact counts per category, on PostgreSQL and SQLite.

The ``bfcl_wheel`` fixture downloads the wheel with pip once (pip's cache and
``~/.cache/farm-tests`` make later runs instant); these tests run in CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from farm.config import Settings
from farm.db.engine import session_scope
from farm.suites.bfcl import DEFAULT_VERSION, pull_bfcl
from farm.suites.build import SuiteData
from farm.suites.categories import AGENTIC, MEMORY, MULTI_TURN, SINGLE_TURN, WEB_SEARCH
from farm.suites.store import (
    category_counts,
    list_suites,
    load_cases,
    resolve_suite,
    store_suite,
)
from farm.suites.wheel import read_wheel

pytestmark = pytest.mark.bfcl_wheel

#: bfcl.md section 1.1: entries per category of BFCL v4 in bfcl-eval 2026.3.23.
EXPECTED = {
    "simple_python": 400,
    "simple_java": 100,
    "simple_javascript": 50,
    "multiple": 200,
    "parallel": 200,
    "parallel_multiple": 200,
    "irrelevance": 240,
    "live_simple": 258,
    "live_multiple": 1053,
    "live_parallel": 16,
    "live_parallel_multiple": 24,
    "live_irrelevance": 884,
    "live_relevance": 16,
    "multi_turn_base": 200,
    "multi_turn_miss_func": 200,
    "multi_turn_miss_param": 200,
    "multi_turn_long_context": 200,
    "memory_kv": 155,
    "memory_vector": 155,
    "memory_rec_sum": 155,
    "web_search_base": 100,
    "web_search_no_snippet": 100,
    "format_sensitivity": 5200,
}


@pytest.fixture(scope="module")
def real_data(bfcl_wheel: Path) -> SuiteData:
    """The real wheel read once for this module."""
    return read_wheel(bfcl_wheel)


def stored_counts(engine: Engine, suite_id: int) -> dict[str, int]:
    with session_scope(engine) as session:
        return category_counts(session, suite_id)


def test_pulling_the_real_wheel_stores_every_category_with_the_wheels_count(
    settings: Settings, pg: Engine, bfcl_wheel: Path, real_data: SuiteData
) -> None:
    suite = pull_bfcl(settings, pg, wheel=bfcl_wheel)
    assert (suite.name, suite.version) == ("bfcl", DEFAULT_VERSION)
    counts = stored_counts(pg, suite.id)
    assert counts == EXPECTED
    assert sum(counts[c] for c in SINGLE_TURN) == 3641
    assert sum(counts[c] for c in MULTI_TURN) == 800
    assert sum(counts[c] for c in MEMORY) == 465
    assert sum(counts[c] for c in WEB_SEARCH) == 200
    # BFCL's scoring entries (bfcl.md 1.1): single-turn + multi-turn + agentic
    assert sum(counts[c] for c in (*SINGLE_TURN, *MULTI_TURN, *AGENTIC)) == 5106
    # the same wheel again is a no-op
    again, created = store_suite(pg, real_data)
    assert again.id == suite.id and not created
    with session_scope(pg) as session:
        assert [(r.version, r.n_cases) for r in list_suites(session)] == [(DEFAULT_VERSION, 10306)]


def test_sqlite_holds_the_same_counts(sqlite: Engine, real_data: SuiteData) -> None:
    suite, created = store_suite(sqlite, real_data)
    assert created
    assert stored_counts(sqlite, suite.id) == EXPECTED


def test_real_cases_keep_bfcl_ids_original_docs_and_multi_turn_fields(
    pg: Engine, real_data: SuiteData
) -> None:
    store_suite(pg, real_data)
    with session_scope(pg) as session:
        suite = resolve_suite(session, f"bfcl@{DEFAULT_VERSION}")
        picked = {
            c.case_id: c
            for c in load_cases(
                session,
                suite.id,
                case_ids=["live_simple_13-3-9", "simple_java_0", "multi_turn_miss_func_0"],
            )
        }
        long_context = load_cases(session, suite.id, categories=["multi_turn_long_context"])
    live = picked["live_simple_13-3-9"]
    assert live.position == 13 and live.category == "live_simple"
    java = picked["simple_java_0"]
    assert java.functions[0]["name"] == "GeometryPresentation.createPresentation"
    assert java.functions[0]["parameters"]["properties"]["controller"]["type"] == "any"
    assert java.answer == [
        {
            "GeometryPresentation.createPresentation": {
                "controller": ["mapController"],
                "parent": ["mapArea"],
            }
        }
    ]
    miss = picked["multi_turn_miss_func_0"]
    assert miss.extra["involved_classes"] == ["TwitterAPI", "GorillaFileSystem"]
    assert [d["name"] for d in miss.extra["missed_function"]["3"]] == ["sort"]
    assert "sort" not in [d["name"] for d in miss.functions]
    assert miss.turns[3] == []
    assert len(long_context) == 200 and all(c.extra["long_context"] for c in long_context)
    extra = suite.extra
    assert extra["multi_turn_class_files"]["TwitterAPI"] == "posting_api.py"
    assert "class GorillaFileSystem" in extra["multi_turn_sources"]["gorilla_file_system.py"]
    assert "long_context.py" in extra["multi_turn_sources"]


def test_agentic_and_format_sensitivity_cases_follow_bfcls_loader(
    pg: Engine, real_data: SuiteData
) -> None:
    store_suite(pg, real_data)
    with session_scope(pg) as session:
        suite = resolve_suite(session, f"bfcl@{DEFAULT_VERSION}")
        picked = {
            c.case_id: c
            for c in load_cases(
                session,
                suite.id,
                case_ids=[
                    "memory_rec_sum_0-customer-0",
                    "web_search_no_snippet_3",
                    "web_search_base_3",
                    "format_sensitivity_0:ret_fmt=python&tool_call_tag=True&func_doc_fmt=python"
                    "&prompt_fmt=plaintext&style=classic:simple_python_19",
                ],
            )
        }
        groups = {
            name: len(load_cases(session, suite.id, categories=[name]))
            for name in ("agentic", "memory", "web_search", "all_scoring", "all")
        }
    assert groups == {
        "agentic": 665,
        "memory": 465,
        "web_search": 200,
        "all_scoring": 5106,
        "all": 10306,
    }
    memory = picked["memory_rec_sum_0-customer-0"]
    assert memory.answer == ["Michael"]
    assert memory.extra["involved_classes"] == ["MemoryAPI_rec_sum"]
    assert memory.extra["scenario"] == "customer"
    assert len(memory.extra["depends_on"]) == 10
    assert memory.extra["depends_on"][0] == "memory_rec_sum_prereq_0-customer-0"
    assert [d["name"] for d in memory.functions][:2] == ["memory_append", "memory_clear"]
    assert memory.turns[0][0]["role"] == "system"
    assert "'answer'" in memory.turns[0][0]["content"]
    base, bare = picked["web_search_base_3"], picked["web_search_no_snippet_3"]
    assert base.extra["initial_config"] == {"WebSearchAPI": {"show_snippet": True}}
    assert bare.extra["initial_config"] == {"WebSearchAPI": {"show_snippet": False}}
    assert base.answer == bare.answer and base.turns == bare.turns
    assert len(base.turns[0]) == 2  # one answer-format system message, then the question
    assert [d["name"] for d in base.functions] == ["search_engine_query", "fetch_url_content"]
    sens = next(c for c in picked.values() if c.category == "format_sensitivity")
    assert sens.extra["original_id"] == "simple_python_19"
    assert sens.answer and sens.functions
    chains = suite.extra["memory_prereq"]
    assert {k: len(v) for k, v in chains.items()} == {
        "student": 10,
        "customer": 10,
        "finance": 7,
        "healthcare": 5,
        "notetaker": 5,
    }
    assert set(suite.extra["agentic_prompts"]["MEMORY_AGENT_SETTINGS"]) == set(chains)


def test_a_suite_loaded_before_agentic_support_gains_the_new_categories(
    sqlite: Engine, real_data: SuiteData
) -> None:
    old_categories = (*SINGLE_TURN, *MULTI_TURN)
    old = SuiteData(
        name=real_data.name,
        version=real_data.version,
        source=real_data.source,
        sha256=real_data.sha256,
        cases=[c for c in real_data.cases if c.category in old_categories],
        extra={k: v for k, v in real_data.extra.items() if k != "memory_prereq"},
    )
    suite, created = store_suite(sqlite, old)
    assert created and sum(stored_counts(sqlite, suite.id).values()) == 4441
    again, created = store_suite(sqlite, real_data)
    assert again.id == suite.id and not created
    assert stored_counts(sqlite, suite.id) == EXPECTED
    with session_scope(sqlite) as session:
        assert "memory_prereq" in resolve_suite(session, f"bfcl@{DEFAULT_VERSION}").extra
