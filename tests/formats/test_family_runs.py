"""Runs against a server that answers in a family's text syntax score as tool_calls do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from farm.config import Settings, load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, RunStats
from farm.local import run_locally
from farm.producer import RunRequest, plan_run
from farm.report.queries import load_runs
from farm.report.render import render_csv, row_json
from farm.resolve import resolve_model
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.case import Case
from farm.suites.store import load_cases
from tests.fixtures.minisuite import load_mini_suite

CATEGORIES = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]
FAMILIES = [
    "hermes",
    "qwen3_coder",
    "glm4",
    "glm45",
    "llama3_json",
    "pythonic",
    "mistral",
    "json",
    "decoded",
]


@pytest.fixture(scope="module")
def embedded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, Engine, str, list[Case]]]:
    home = tmp_path_factory.mktemp("home")
    settings = load_settings(home=home)
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id)
    yield settings, engine, f"bfcl@{suite.version}", cases
    engine.dispose()


def _run(embedded: Any, style: str, call_format: str | None) -> dict[str, Result]:
    settings, engine, suite_spec, cases = embedded
    with running_simulator(cases, SimulatorConfig(wrong_rate=0.3, call_style=style)) as sim:
        spec = resolve_model(settings, "simulator", endpoint=sim.base_url, call_format=call_format)
        request = RunRequest(model=spec, suite=suite_spec, categories=CATEGORIES, source="run")
        with session_scope(engine) as session:
            planned = plan_run(session, request)
        run_locally(settings, engine, spec, planned.run_id)
    with session_scope(engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == planned.run_id)).all()
        session.expunge_all()
    return {r.case_id: r for r in rows}


@pytest.fixture(scope="module")
def baseline(embedded: Any) -> dict[str, Result]:
    return _run(embedded, "tool_calls", None)


def test_baseline_is_parsed_by_the_server(baseline: dict[str, Result]) -> None:
    calls = [r for r in baseline.values() if isinstance(r.raw_output, list)]
    assert calls and all(r.call_info["parsed_by"] == "server" for r in calls)
    assert all(r.call_info["deviations"] == [] for r in baseline.values())
    assert {r.call_info["finish_reason"] for r in calls} == {"tool_calls"}
    assert {r.call_info["content"] for r in calls} == {"null"}


@pytest.mark.parametrize("family", FAMILIES)
def test_family_text_scores_as_tool_calls_and_says_the_client_parsed(
    embedded: Any, baseline: dict[str, Result], family: str
) -> None:
    results = _run(embedded, family, family)
    assert results.keys() == baseline.keys()
    for case_id, base in baseline.items():
        got = results[case_id]
        assert (got.valid, got.error_type) == (base.valid, base.error_type), case_id
        if isinstance(base.raw_output, list):
            assert got.call_info["parsed_by"] == "client", case_id
            assert f"calls_as_text:{family}" in got.call_info["deviations"]
            assert got.call_info["text"]
    assert sum(r.valid for r in results.values()) == sum(r.valid for r in baseline.values())


def test_family_text_without_the_format_is_flagged_and_fails_as_fc(
    embedded: Any, baseline: dict[str, Result]
) -> None:
    results = _run(embedded, "hermes", None)
    text_answers = [r for k, r in results.items() if isinstance(baseline[k].raw_output, list)]
    assert text_answers
    for r in text_answers:
        assert r.call_info["parsed_by"] is None
        assert "calls_as_text:hermes" in r.call_info["deviations"]
        if r.category != "irrelevance":
            assert r.error_type == "ast_decoder:decoder_failed"


def test_arguments_objects_are_accepted_and_flagged(
    embedded: Any, baseline: dict[str, Result]
) -> None:
    results = _run(embedded, "arguments_object", None)
    for case_id, base in baseline.items():
        got = results[case_id]
        assert (got.valid, got.error_type) == (base.valid, base.error_type), case_id
        if isinstance(base.raw_output, list):
            assert got.call_info["deviations"] == ["arguments_object"]


def test_truncated_replies_are_their_own_error_kind(embedded: Any) -> None:
    results = _run(embedded, "truncated", None)
    assert {r.call_info["finish_reason"] for r in results.values()} == {"length"}
    wrong = [r for r in results.values() if not r.valid]
    assert wrong and {r.error_type for r in wrong} == {"inference:output_truncated"}
    engine = embedded[1]
    run_id = next(iter(results.values())).run_id
    with session_scope(engine) as session:
        stats = session.get(RunStats, run_id)
        assert stats is not None and stats.truncated == len(wrong)
        (row,) = load_runs(session, [run_id], with_latency=True)
    shown = row_json(row)  # the leaderboard's Truncated column, in every format
    assert shown["truncated"] == len(wrong)
    assert "Truncated Answers" in render_csv([row]).splitlines()[0]
    assert str(len(wrong)) in render_csv([row]).splitlines()[1].split(",")
