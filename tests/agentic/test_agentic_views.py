"""What an agentic run shows, on the real PostgreSQL: prerequisite transcripts kept (never
scored, never a result row) and readable as unscored cases in the explorer; web-search usage
in `farm status`, the run page and the leaderboard's table, CSV and JSON (not in bfcl-csv)."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from sqlalchemy import Engine, select

from farm.agentic.web.usage import WebTotals, summed
from farm.config import Settings
from farm.db.engine import session_scope
from farm.db.models import MemorySnapshotRow, Result, RunScore
from farm.evaluation.export import export_lines
from farm.local import run_locally
from farm.models.registry import EndpointConfig, lookup_model
from farm.producer import RunRequest, plan_run
from farm.report.bfcl_csv import render_bfcl_csv
from farm.report.cases import case_detail
from farm.report.queries import leaderboard
from farm.report.render import render_csv, render_json, rich_table
from farm.runs import run_status
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import store_suite
from farm.ui.app import create_app
from tests.agentic.cases import CHAIN, KV_DOCS, agentic_suite
from tests.conftest import run_farm

SUITE = "agentic-views"
PREREQ = "memory_kv_prereq_0-travel-0"


@pytest.fixture(scope="module")
def agentic_run(runs_settings: Settings, runs_engine: Engine) -> uuid.UUID:
    """One embedded run of every agentic case of the small suite, web recorded."""
    data = agentic_suite(SUITE)
    store_suite(runs_engine, data)
    with (
        running_simulator(data.cases, SimulatorConfig(latency_s=0.0)) as sim,
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("FARM_WEB_PROVIDER", "farm-simulator")
        env.setenv("FARM_WEB_SIMULATOR_URL", sim.base_url.removesuffix("/v1"))
        env.setenv("FARM_WEB_ALLOW_NETWORKS", "127.0.0.1/32")
        env.setenv("EMBEDDING_BASE_URL", sim.base_url)
        spec = lookup_model(runs_settings, "simulator").model_copy(
            update={"endpoints": [EndpointConfig(base_url=sim.base_url)]}
        )
        with session_scope(runs_engine) as session:
            planned = plan_run(
                session,
                RunRequest(model=spec, suite=f"{SUITE}@1", categories=["agentic"], source="run"),
            )
        run_locally(runs_settings, runs_engine, spec, planned.run_id, shards=planned.shards)
    return planned.run_id


def test_prerequisite_transcripts_are_stored_apart_and_never_scored(
    runs_engine: Engine, agentic_run: uuid.UUID
) -> None:
    data = agentic_suite(SUITE)
    with session_scope(runs_engine) as session:
        results = {
            r.case_id: r
            for r in session.scalars(select(Result).where(Result.run_id == agentic_run))
        }
        # questions only: no prerequisite has a result row, every question is scored
        assert sorted(results) == sorted(c.case_id for c in data.cases)
        assert all(r.valid for r in results.values())
        counted = {
            s.category: s.n
            for s in session.scalars(
                select(RunScore).where(RunScore.run_id == agentic_run, RunScore.kind == "category")
            )
        }
        assert counted["memory_kv"] == counted["memory_vector"] == counted["memory_rec_sum"] == 2
        steps = session.scalars(
            select(MemorySnapshotRow)
            .where(MemorySnapshotRow.run_id == agentic_run)
            .order_by(MemorySnapshotRow.category, MemorySnapshotRow.step)
        ).all()
        assert len(steps) == 6
        for row in steps:  # each conversation's transcript is kept with its snapshot
            chain_entry = CHAIN[row.step]
            assert isinstance(row.raw_output, list)
            assert len(row.raw_output) == len(chain_entry["question"])  # one entry per turn
            tools = row.call_info["tool_results"]
            assert [len(t) for t in tools] == [len(t) for t in row.raw_output]
            assert any(step for turn in tools for step in turn), row.prereq_id  # it stored
            assert row.latency_s is not None and row.input_tokens
        detail = case_detail(session, agentic_run, PREREQ)
        assert detail.prerequisite and detail.verdict == "not scored"
        assert detail.valid is None and detail.answer is None
        assert detail.question == CHAIN[0]["question"]
        assert detail.functions == KV_DOCS
        shown = detail.execution_results
        assert shown is not None and len(shown) == 2 and shown[0]["model"]
        question = case_detail(session, agentic_run, "memory_kv_0-travel-0")
        assert question.execution_results  # a question's tool results are shown too
    exported = [
        json.loads(line)["id"] for line in export_lines(runs_engine, str(agentic_run), "jsonl")
    ]
    assert sorted(exported) == sorted(results) and PREREQ not in exported
    prereqs = [
        json.loads(line)
        for line in export_lines(runs_engine, str(agentic_run), "jsonl", prerequisites=True)
    ]
    assert [p["id"] for p in prereqs] == [
        f"memory_{b}_prereq_{i}-travel-{i}" for b in ("kv", "rec_sum", "vector") for i in (0, 1)
    ]
    first = next(p for p in prereqs if p["id"] == PREREQ)
    assert first["result"] == steps[0].raw_output and first["tool_results"]
    as_csv = list(
        csv.reader(export_lines(runs_engine, str(agentic_run), "csv", prerequisites=True))
    )
    assert as_csv[0][:4] == ["id", "category", "scenario", "step"] and len(as_csv) == 7

    client = create_app(runs_engine).test_client()
    page = client.get(f"/runs/{agentic_run}/cases/{PREREQ}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "not scored" in text and "Priya" in text and "tool results" in text
    page = client.get(f"/runs/{agentic_run}/cases/memory_kv_0-travel-0")
    assert page.status_code == 200
    assert f"/runs/{agentic_run}/cases/{PREREQ}" in page.get_data(as_text=True)
    assert client.get(f"/runs/{agentic_run}/cases/memory_kv_prereq_9-x-9").status_code == 404


def test_web_usage_is_shown_by_status_leaderboard_and_run_page(
    runs_settings: Settings, runs_engine: Engine, agentic_run: uuid.UUID
) -> None:
    with session_scope(runs_engine) as session:
        web = run_status(session, agentic_run).web
        rows = leaderboard(session, runs=[str(agentic_run)])
    assert web is not None
    # two web cases in record mode: each search and fetch is a provider call or a stored one
    assert web.searches >= 1 and web.searches + web.searches_stored == 2
    assert web.fetches >= 1 and web.fetches + web.fetches_stored == 2
    assert web.replay_misses == 0 and web.cost_usd == 0.0  # the simulator is free
    assert rows[0].web == web

    env = {"FARM_DATABASE_URL": str(runs_settings.database_url)}
    shown = run_farm("status", str(agentic_run), env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"web: 2 searches ({web.searches} provider calls" in shown.stdout
    status = run_farm("status", str(agentic_run), "--json", env=env)
    assert json.loads(status.stdout)["web"] == web.as_json()

    header, values = list(csv.reader(io.StringIO(render_csv(rows))))
    fields = dict(zip(header, values, strict=True))
    assert fields["Web Searches (Provider Calls)"] == str(web.searches)
    assert fields["Web Fetches (Stored)"] == str(web.fetches_stored)
    assert fields["Web Replay Misses"] == "0" and fields["Web Search Cost ($)"] == "0"
    assert json.loads(render_json(rows))["leaderboard"][0]["web"] == web.as_json()
    assert "Web (provider/live+stored)" in [c.header for c in rich_table(rows).columns]
    for name, content in render_bfcl_csv(rows).items():  # BFCL's files gain nothing
        for added in ("Web Searches", "Web Fetches", "Web Replay", "Web Search Cost"):
            assert added not in content, name

    client = create_app(runs_engine).test_client()
    page = client.get(f"/runs/{agentic_run}")
    assert page.status_code == 200
    assert "Replay misses" in page.get_data(as_text=True)


def test_web_totals_text_and_sums() -> None:
    a = WebTotals(3, 9, 5, 15, 0, 0.045)
    b = WebTotals(1, 0, 0, 2, 2, 0.015)
    assert a.short() == "3+9 searches, 5+15 fetches, $0.045"
    assert (a + b).short() == "4+9 searches, 5+17 fetches, 2 replay misses, $0.06"
    assert a.line() == (
        "web: 12 searches (3 provider calls, 9 from the web store), 20 fetches (5 live, "
        "15 stored), 0 replay misses, cost $0.045"
    )
    assert summed([None, a, None, b]) == a + b and summed([None]) is None
    assert WebTotals().cost_text() == "$0"
