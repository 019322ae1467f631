"""Format sensitivity in the explorer: the run page's statistics, the board's columns, and
case pages reachable for ids with colons, ``&`` and ``=`` (SQLite, no browser)."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.db.models import Model, Result, Run, Suite
from farm.db.models import TestCase as CaseRow
from farm.finalize import write_run_scores
from farm.suites.sensitivity import all_configs, case_id
from farm.ui.app import create_app

RUN = uuid.UUID("f5f5f5f5-0000-4000-8000-000000000001")
CONFIGS = all_configs()[:2]
IDS = [case_id(i, cfg, "simple_python_0") for i, cfg in enumerate(CONFIGS)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("ui-fs") / "farm.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        suite = Suite(name="bfcl", version="2026.3.23", source="test", sha256="0" * 64, extra={})
        session.add(suite)
        session.add(Model(key="p", display_name="Prompt Model", backend="fake", mode="prompt"))
        session.flush()
        for position, cid in enumerate(IDS):
            session.add(
                CaseRow(suite_id=suite.id, case_id=cid, category="format_sensitivity",
                         language="python", position=position,
                         turns=[[{"role": "user", "content": "Area of a circle of radius 3?"}]],
                         functions=[], answer=[{"f": {"r": [3]}}], extra={}, content_hash="0" * 64)
            )  # fmt: skip
        session.add(Run(id=RUN, model_key="p", suite_id=suite.id, mode="prompt", source="run",
                        categories=["format_sensitivity"], status="done", n_cases=2,
                        farm_version="test"))  # fmt: skip
        session.flush()
        for cid, valid in zip(IDS, (True, False), strict=True):
            session.add(Result(run_id=RUN, case_id=cid, category="format_sensitivity",
                               raw_output="[f(r=3)]", valid=valid, latency_s=0.5))  # fmt: skip
        session.flush()
        write_run_scores(session, RUN)
        session.commit()
    yield engine
    engine.dispose()


def test_run_page_shows_the_statistics_and_each_configuration(engine: Engine) -> None:
    client = create_app(engine).test_client()
    page = html.unescape(client.get(f"/runs/{RUN}").data.decode())
    assert "Format sensitivity" in page
    assert "max delta 100.0, std 70.71, variance 5000.0" in page
    for cfg in CONFIGS:
        assert cfg in page


def test_leaderboard_page_has_the_format_sensitivity_columns(engine: Engine) -> None:
    client = create_app(engine).test_client()
    page = client.get("/leaderboard?latest=0").data.decode()
    assert "FS Max Delta" in page and "FS Std" in page
    assert client.get("/leaderboard?latest=0&sort=accuracy_max_delta").status_code == 200


def test_case_pages_of_ids_with_colons_are_linked_and_served(engine: Engine) -> None:
    client = create_app(engine).test_client()
    listing = client.get(f"/runs/{RUN}/cases", query_string={"q": CONFIGS[1]})
    assert listing.status_code == 200
    links = {
        unquote(html.unescape(h))
        for h in re.findall(r'href="([^"]*/cases/format_sensitivity_[^"]*)"', listing.data.decode())
    }
    assert links == {f"/runs/{RUN}/cases/{IDS[1]}"}
    for cid in IDS:
        found = re.findall(r'href="([^"]*/cases/format_sensitivity_[^"]*)"',
                           client.get(f"/runs/{RUN}/cases").data.decode())  # fmt: skip
        href = next(html.unescape(h) for h in found if unquote(html.unescape(h)).endswith(cid))
        page = client.get(href)
        assert page.status_code == 200, href
        assert cid in html.unescape(page.data.decode())
