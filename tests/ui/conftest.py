"""Fixtures of the explorer tests: its database on PostgreSQL, a live server, one browser.

The browser is Debian's Chromium driven by Playwright's Python package (no browser
download): ``/usr/bin/chromium``, installed with apt-get when missing.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.ui.app import create_app, make_ui_server
from tests.conftest import create_database, drop_database
from tests.ui import data

CHROMIUM = "/usr/bin/chromium"
#: How often the live pages poll in the tests (ms).
POLL_MS = 250


def ensure_chromium() -> str:
    """Debian's Chromium, installed from the package registry if absent."""
    if not Path(CHROMIUM).exists():
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, env=env
        )
    assert shutil.which(CHROMIUM), "chromium could not be installed"
    return CHROMIUM


@pytest.fixture(scope="session")
def ui_engine() -> Iterator[Engine]:
    url = create_database("farm_ui")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        data.build(session)
        session.commit()
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.fixture(scope="session")
def base_url(ui_engine: Engine) -> Iterator[str]:
    """The explorer served on a free loopback port for the whole session."""
    server = make_ui_server(create_app(ui_engine, poll_ms=POLL_MS), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module.

    Playwright's sync API keeps an event loop running in this thread while it is open, so
    it is closed with the module: a later test calling ``asyncio.run`` (``farm run`` through
    CliRunner) would otherwise fail whatever the order the tests are collected in.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=ensure_chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any dialog, page error or console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    tab.set_default_timeout(15_000)  # generous on a loaded machine; passing takes ms
    yield tab
    context.close()
    assert not problems, problems
