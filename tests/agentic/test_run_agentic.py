"""`farm run` over agentic categories, end to end on the embedded executor: the simulator
as model, search engine, web and embedding endpoint on loopback; memory chains leave
snapshots in the database; a replayed run makes no provider call (counted by the simulator
that serves the search engine and the pages) and shows every case the same tool results,
string for string; the leaderboard has the agentic sections."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select, text

from farm.agentic.web.usage import web_totals
from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import MemorySnapshotRow, Result, RunScore, WebSearch, WebUsage
from farm.simulator.server import SimulatorConfig, running_simulator
from farm.suites.store import store_suite
from tests.agentic.cases import agentic_suite
from tests.conftest import run_farm

WEB_ROUTES = ("/search.json", "/search", "/web/redirect/{slug}", "/web/{slug}")


def web_requests(served: Counter[tuple[str, int]]) -> Counter[tuple[str, int]]:
    """The simulator's search and page requests so far, by route and status."""
    return Counter({key: n for key, n in served.items() if key[0] in WEB_ROUTES})


def tool_strings(row: Result) -> list[str]:
    """Every tool result the model was shown in the case, in order."""
    return [text for turn in row.call_info["tool_results"] for step in turn for text in step]


def test_agentic_runs_record_replay_and_score(farm_home: Path) -> None:
    settings = load_settings()
    engine = open_database(settings)
    data = agentic_suite()
    store_suite(engine, data)
    with running_simulator(data.cases, SimulatorConfig(latency_s=0.0)) as sim:
        root = sim.base_url.removesuffix("/v1")
        env = {
            "FARM_WEB_PROVIDER": "farm-simulator",
            "FARM_WEB_SIMULATOR_URL": root,
            "FARM_WEB_ALLOW_NETWORKS": "127.0.0.1/32",
            "EMBEDDING_BASE_URL": sim.base_url,
        }
        args = [
            "run",
            "--model",
            "simulator",
            "--endpoint",
            sim.base_url,
            "--suite",
            "agentic-mini@1",
            "-c",
            "agentic",
            "--json",
        ]
        assert sim.simulator is not None
        served = sim.simulator.metrics.http
        recorded = run_farm(*args, env=env)
        assert recorded.returncode == 0, recorded.stderr
        web_served_by_record = web_requests(served)
        # The replay may reach the same simulator (same URL, network allowed): a replay that
        # asked the provider or fetched a page would show up in the simulator's counters.
        replayed = run_farm(*args, env={**env, "FARM_WEB_MODE": "replay"})
        assert replayed.returncode == 0, replayed.stderr
        web_served_by_replay = web_requests(served) - web_served_by_record
    first, second = (
        uuid.UUID(json.loads(p.stdout.splitlines()[-1])["run_id"]) for p in (recorded, replayed)
    )
    with session_scope(engine) as session:
        results = {
            (r.run_id, r.case_id): r
            for r in session.scalars(select(Result).where(Result.run_id.in_([first, second])))
        }
        assert len(results) == 2 * len(data.cases)
        for (_run, case_id), row in results.items():
            assert row.inference_error is None, (case_id, row.inference_message)
            assert row.valid, (case_id, row.error_type, row.error_detail)
        web = [c.case_id for c in data.cases if c.category.startswith("web_search")]
        for case_id in web:  # the same tool results, from the store, string for string
            recorded_row, replayed_row = results[(first, case_id)], results[(second, case_id)]
            assert recorded_row.raw_output == replayed_row.raw_output
            seen = tool_strings(recorded_row)
            assert any("Ada Marlowe" in text for text in seen), seen  # a fetched page
            assert any("'href'" in text for text in seen), seen  # a search's results
            assert tool_strings(replayed_row) == seen
            # aligned with the model's steps: one list of results per step
            tools = recorded_row.call_info["tool_results"]
            assert [len(t) for t in tools] == [len(t) for t in recorded_row.raw_output]
        usage = {
            u.run_id: u
            for u in session.scalars(select(WebUsage).where(WebUsage.run_id.in_([first, second])))
        }
        assert usage[first].searches >= 1 and usage[first].fetches >= 1
        assert usage[second].searches == 0 and usage[second].fetches == 0
        assert usage[second].replay_misses == 0
        assert usage[second].searches_stored == 2 and usage[second].fetches_stored == 2
        # counted where the provider and the pages are: the record run's calls reached the
        # simulator, the replay's none
        totals = web_totals(session, [first, second])
        assert web_served_by_record[("/search.json", 200)] == totals[first].searches >= 1
        assert web_served_by_record[("/web/{slug}", 200)] == totals[first].fetches >= 1
        assert sum(web_served_by_record.values()) == totals[first].searches + totals[first].fetches
        assert sum(web_served_by_replay.values()) == 0, web_served_by_replay
        assert session.scalar(select(func.count()).select_from(WebSearch)) == 1
        steps = session.scalars(
            select(MemorySnapshotRow).where(MemorySnapshotRow.run_id == first)
        ).all()
        assert sorted((s.category, s.step) for s in steps) == [
            (f"memory_{b}", i) for b in ("kv", "rec_sum", "vector") for i in (0, 1)
        ]
        sections = {
            s.category: s.accuracy
            for s in session.scalars(
                select(RunScore).where(RunScore.run_id == first, RunScore.kind == "section")
            )
        }
    assert sections["web_search"] == 1.0 and sections["memory"] == 1.0
    assert sections["agentic"] == 1.0
    assert abs(sections["overall"] - 0.4) < 1e-9  # only agentic ran: 40% of Overall
    with engine.connect() as conn:  # the SQL view has the agentic sections
        view = conn.execute(text("SELECT agentic, web_search, memory FROM leaderboard")).all()
    assert [tuple(row) for row in view] == [(1.0, 1.0, 1.0), (1.0, 1.0, 1.0)]
    engine.dispose()
