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
from farm.suites.categories import MULTI_TURN, SINGLE_TURN
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
    # the same wheel again is a no-op
    again, created = store_suite(pg, real_data)
    assert again.id == suite.id and not created
    with session_scope(pg) as session:
        assert [(r.version, r.n_cases) for r in list_suites(session)] == [(DEFAULT_VERSION, 4441)]


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
