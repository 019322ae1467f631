"""The explorer without a browser: SQLite, text that UTF-8 cannot carry, the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from farm.db.engine import make_engine
from farm.db.migrate import upgrade
from farm.db.models import Result
from farm.ui.app import create_app, is_loopback
from farm.ui.display import printable, show
from tests.conftest import REPO, run_farm
from tests.ui import data


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("ui") / "farm.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with Session(engine) as session:
        data.build(session)
        session.flush()
        # SQLite's JSON keeps lone surrogates (PostgreSQL refuses them): the page must not.
        session.execute(
            update(Result)
            .where(Result.run_id == data.RUN_A, Result.case_id == "simple_python_0")
            .values(
                raw_output="half \udc80 pair \ud83d and NUL \x00 <i>x</i>",
                decoded=[{"f\udcff": {"a": "\ud800<b>"}}],
            )
        )
        session.commit()
    yield engine
    engine.dispose()


def test_every_page_renders_on_sqlite_with_unencodable_text(sqlite_engine: Engine) -> None:
    client = create_app(sqlite_engine).test_client()
    paths = [
        "/runs",
        f"/runs/{data.RUNNING}",
        f"/runs/{data.RUN_A}/cases?q=pair",
        f"/runs/{data.RUN_A}/cases/simple_python_0",
        "/leaderboard?latest=0&sort=overall&dir=asc",
        "/compare?a=alpha-v1&b=alpha-v2",
        "/compare/case?a=alpha-v1&b=alpha-v2&case=simple_python_0",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        response.data.decode("utf-8")  # valid UTF-8 whatever was stored
    case = client.get(f"/runs/{data.RUN_A}/cases/simple_python_0").data.decode()
    assert "half \\udc80 pair \\ud83d and NUL \\u0000 &lt;i&gt;x&lt;/i&gt;" in case
    assert "f\\udcff" in case and "\\ud800&lt;b&gt;" in case


def test_unknown_runs_cases_and_bad_arguments_are_pages_not_tracebacks(
    sqlite_engine: Engine,
) -> None:
    client = create_app(sqlite_engine).test_client()
    missing = client.get("/runs/zzzz-nope")
    assert missing.status_code == 404 and b"no run matches" in missing.data
    assert client.get(f"/runs/{data.RUN_A}/cases/nope_1").status_code == 404
    assert client.get("/runs?offset=-5&status=bogus").status_code == 200
    assert client.get(f"/runs/{data.RUN_A}/cases?offset=x&verdict=bogus").status_code == 200
    assert client.get("/compare?a=alpha-v1&b=alpha-v1").status_code == 400
    assert client.get("/leaderboard?suite=nosuch").status_code == 400
    assert client.delete("/runs").status_code == 405


def test_display_helpers_bound_and_escape_text() -> None:
    shown = show("x" * 30_000)
    assert shown.cut and shown.full_length == 30_000 and len(shown.text) == 20_000
    assert printable("a\udc80\x00") == "a\\udc80\\u0000"
    assert show({"k": "\ud800"}).text == '{\n  "k": "\\ud800"\n}'
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


def test_farm_ui_without_flask_names_the_extra(tmp_path: Path, farm_home: Path) -> None:
    shadow = tmp_path / "shadow" / "flask"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'flask'\", name='flask')\n"
    )
    path = os.pathsep.join([str(tmp_path / "shadow"), str(REPO)])
    out = run_farm("ui", env={"PYTHONPATH": path}, timeout=60)
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0
    assert "pip install 'farm[ui]'" in out.stderr and "Traceback" not in out.stderr


def _serve(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "ui", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_farm_ui_serves_the_configured_database_and_warns_off_loopback(
    sqlite_engine: Engine, farm_home: Path
) -> None:
    env = {"FARM_DATABASE_URL": str(sqlite_engine.url)}
    proc = _serve("--port", "0", env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("farm ui: http://127.0.0.1:"), line
        url = line.split()[2]
        page = httpx.get(url + "runs", timeout=10)
        assert page.status_code == 200 and "alpha-v1" in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    wide = _serve("--host", "0.0.0.0", "--port", "0", env=env)
    try:
        assert wide.stderr is not None
        warning = wide.stderr.readline()
        assert warning.startswith("farm ui: warning: bound to 0.0.0.0, not loopback")
    finally:
        wide.send_signal(signal.SIGINT)
        wide.wait(timeout=10)


def test_farm_ui_on_a_taken_port_is_a_one_line_error(farm_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = run_farm("ui", "--port", str(port), timeout=60)
    assert out.returncode == 2
    assert out.stderr == f"farm: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_history_lines_follow_the_rows_so_a_model_keeps_its_bar_colour() -> None:
    from types import SimpleNamespace

    from farm.ui.board import series_in_row_order

    top = [
        SimpleNamespace(model_key="zeta", display_name="Zeta"),
        SimpleNamespace(model_key="alpha", display_name="Alpha"),
        SimpleNamespace(model_key="zeta", display_name="Zeta (old name)"),
    ]
    found = {"alpha": ["a1"], "zeta": ["z1", "z2"]}  # the query's own (alphabetical) order
    series = series_in_row_order(top, found)  # type: ignore[arg-type]
    assert list(series.items()) == [("Zeta", ["z1", "z2"]), ("Alpha", ["a1"])]


def test_farm_ui_on_an_address_it_cannot_bind_is_the_error_line_alone(farm_home: Path) -> None:
    out = run_farm("ui", "--host", "192.0.2.1", "--port", "0", timeout=60)  # TEST-NET-1
    assert out.returncode == 2
    assert out.stderr.startswith("farm: error: cannot listen on 192.0.2.1:0: ")
    assert out.stderr.count("\n") == 1, out.stderr  # no off-loopback warning first


def test_a_structured_value_with_huge_strings_is_cut_before_it_is_dumped() -> None:
    from farm.ui.display import DISPLAY_LIMIT, show

    huge = "x" * 5_000_000
    shown = show([{"f": {"a": huge}}, {"g": {"b": huge}}])
    assert shown.cut and len(shown.text) <= DISPLAY_LIMIT
    assert shown.full_length is not None and shown.full_length > 10_000_000
    assert show({"a": "short"}).cut is False
    assert show("y" * (DISPLAY_LIMIT + 1)).full_length == DISPLAY_LIMIT + 1
