"""Storing, finding and loading suites, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from farm.config import Settings
from farm.db import models
from farm.db.engine import session_scope
from farm.errors import SuiteError
from farm.suites.bfcl import pull_bfcl
from farm.suites.build import case_hash
from farm.suites.categories import ALL, LIVE, MULTI_TURN, SINGLE_TURN
from farm.suites.store import (
    category_counts,
    list_suites,
    load_cases,
    remove_suite,
    resolve_suite,
    store_suite,
)
from tests.fixtures.minisuite import (
    MINI_VERSION,
    load_mini_suite,
    make_mini_wheel,
    mini_members,
    write_wheel,
)


def test_the_mini_suite_is_stored_with_every_case(settings: Settings, engine: Engine) -> None:
    suite = load_mini_suite(settings, engine)
    assert (suite.name, suite.version) == ("bfcl", MINI_VERSION)
    with session_scope(engine) as session:
        counts = category_counts(session, suite.id)
        cases = load_cases(session, suite.id)
        stored = session.get(models.Suite, suite.id)
        assert stored is not None
        assert stored.extra["multi_turn_class_files"]["NotesAPI"] == "notes_api.py"
        hashes = dict(
            session.execute(
                select(models.TestCase.case_id, models.TestCase.content_hash).where(
                    models.TestCase.suite_id == suite.id
                )
            ).all()
        )
    assert list(counts) == [*SINGLE_TURN, *MULTI_TURN]  # the mini wheel has no agentic files
    assert sum(counts.values()) == len(cases) == 32
    assert all(hashes[case.case_id] == case_hash(case) for case in cases)


def test_loaded_cases_round_trip_exactly(settings: Settings, engine: Engine) -> None:
    from farm.suites.wheel import read_wheel

    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        loaded = load_cases(session, suite.id)
    with_tmp = read_wheel(make_mini_wheel(settings.home / "w"))
    assert loaded == with_tmp.cases


def test_pulling_the_same_wheel_twice_changes_nothing(settings: Settings, engine: Engine) -> None:
    first = load_mini_suite(settings, engine)
    again = load_mini_suite(settings, engine)
    assert again.id == first.id
    with session_scope(engine) as session:
        rows = list_suites(session)
    assert [(r.name, r.version, r.n_cases) for r in rows] == [("bfcl", MINI_VERSION, 32)]


def test_the_same_version_with_other_content_is_an_error(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    load_mini_suite(settings, engine)
    members = mini_members()
    members["bfcl_eval/data/BFCL_v4_irrelevance.json"] += b'{"id": "irrelevance_2", '
    members["bfcl_eval/data/BFCL_v4_irrelevance.json"] += (
        b'"question": [[{"role": "user", "content": "hi"}]], "function": []}\n'
    )
    changed = write_wheel(tmp_path / "bfcl_eval-0.0.1-py3-none-any.whl", members)
    with pytest.raises(SuiteError, match="already loaded from different content"):
        pull_bfcl(settings, engine, wheel=changed)
    with session_scope(engine) as session:
        assert [r.n_cases for r in list_suites(session)] == [32]


def test_a_new_version_is_a_new_suite_and_the_plain_name_means_the_newest(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    old = load_mini_suite(settings, engine)
    new = pull_bfcl(settings, engine, wheel=make_mini_wheel(tmp_path, version="0.0.10"))
    older = pull_bfcl(settings, engine, wheel=make_mini_wheel(tmp_path, version="0.0.2"))
    with session_scope(engine) as session:
        assert resolve_suite(session, "bfcl").id == new.id
        assert resolve_suite(session, "bfcl@0.0.1").id == old.id
        assert resolve_suite(session, "bfcl@0.0.2").id == older.id
        assert len(list_suites(session)) == 3
        # each version keeps its own cases
        assert len(load_cases(session, old.id)) == len(load_cases(session, new.id)) == 32


def test_unknown_suites_and_versions_are_clear_errors(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(SuiteError, match="unknown suite 'bfcl'.*farm suites pull bfcl"):
            resolve_suite(session, "bfcl")
    load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        with pytest.raises(SuiteError, match="unknown suite 'mine'; loaded: bfcl"):
            resolve_suite(session, "mine")
        with pytest.raises(SuiteError, match="no version '1.0'; loaded: 0.0.1"):
            resolve_suite(session, "bfcl@1.0")
        with pytest.raises(SuiteError, match="invalid suite"):
            resolve_suite(session, "@1.0")


def test_cases_load_in_file_order_and_filter_by_category_or_group(
    settings: Settings, engine: Engine
) -> None:
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        everything = load_cases(session, suite.id)
        live = load_cases(session, suite.id, categories=["live"])
        two = load_cases(session, suite.id, categories=["parallel,simple_java"])
    order = list(ALL)
    keys = [(order.index(c.category), c.position) for c in everything]
    assert keys == sorted(keys)
    assert {c.category for c in live} == set(LIVE)
    assert [c.case_id for c in two] == [
        "simple_java_0",
        "simple_java_1",
        "parallel_0",
        "parallel_1",
    ]


def test_an_unknown_category_lists_the_valid_names(settings: Settings, engine: Engine) -> None:
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        with pytest.raises(SuiteError) as info:
            load_cases(session, suite.id, categories=["simple_pyton"])
    message = str(info.value)
    assert "unknown category 'simple_pyton'" in message
    for name in ("simple_python", "live_relevance", "multi_turn_long_context", "single_turn"):
        assert name in message


def test_cases_can_be_picked_by_id_and_unknown_ids_are_named(
    settings: Settings, engine: Engine
) -> None:
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        picked = load_cases(
            session, suite.id, case_ids=["multi_turn_base_1", "simple_python_2", "irrelevance_0"]
        )
        assert [c.case_id for c in picked] == [
            "simple_python_2",
            "irrelevance_0",
            "multi_turn_base_1",
        ]
        with pytest.raises(SuiteError, match="1 case id.*not in bfcl@0.0.1: simple_python_77"):
            load_cases(session, suite.id, case_ids=["simple_python_0", "simple_python_77"])
        with pytest.raises(SuiteError, match="not in the chosen categories"):
            load_cases(session, suite.id, categories=["live"], case_ids=["simple_python_0"])


def test_an_installed_copy_is_read_without_a_wheel_or_network(
    settings: Settings, sqlite: Engine, tmp_path: Path
) -> None:
    import zipfile

    from farm.suites.bfcl import read_bfcl_source
    from farm.suites.store import store_suite

    site = tmp_path / "site-packages"
    with zipfile.ZipFile(make_mini_wheel(tmp_path)) as archive:
        archive.extractall(site)
    data = read_bfcl_source(settings, version=MINI_VERSION, site_path=[str(site)])
    assert data.source == f"installed:{site}"
    suite, created = store_suite(sqlite, data)
    assert created
    # the same content from the wheel is recognised as already loaded
    again = load_mini_suite(settings, sqlite)
    assert again.id == suite.id
    shutil.rmtree(site)


def test_a_suite_version_without_runs_can_be_removed(settings: Settings, engine: Engine) -> None:
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        removed = remove_suite(session, f"bfcl@{MINI_VERSION}")
    assert removed.id == suite.id
    with session_scope(engine) as session:
        assert list_suites(session) == []
        count = session.scalar(select(func.count()).select_from(models.TestCase))
    assert count == 0


def test_a_suite_version_that_runs_refer_to_is_kept(settings: Settings, engine: Engine) -> None:
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        session.add(models.Model(key="m", display_name="m", backend="fake", mode="fc"))
        session.flush()
        session.add(
            models.Run(model_key="m", suite_id=suite.id, categories=[], mode="fc", farm_version="0")
        )
    with session_scope(engine) as session:
        with pytest.raises(SuiteError, match="used by 1 run"):
            remove_suite(session, f"bfcl@{MINI_VERSION}")
    with session_scope(engine) as session:
        assert [r.n_cases for r in list_suites(session)] == [32]
        session.execute(delete(models.Run))
        session.execute(delete(models.Model))


def test_two_processes_storing_the_same_suite_at_once_both_succeed(
    settings: Settings, pg: Engine, mini_wheel: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from farm.suites.wheel import read_wheel

    data = read_wheel(mini_wheel)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: store_suite(pg, data), range(4)))
    assert len({suite.id for suite, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with session_scope(pg) as session:
        assert [r.n_cases for r in list_suites(session)] == [32]
