"""The commands, run as a user runs them: farm simulate, farm endpoints check, farm doctor."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from farm.cli.main import cli
from farm.config import load_settings
from farm.db.migrate import open_database
from farm.simulator.server import cases_to_json
from tests.conftest import create_database, drop_database, run_farm
from tests.fixtures.minisuite import MINI_VERSION, load_mini_suite

READY = re.compile(r"at http://127\.0\.0\.1:(\d+)/v1")


@contextmanager
def simulate(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``farm simulate ARGS --port 0`` and yield its base URL once it listens."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "simulate", *args, "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = READY.search(line)
        assert match, line + proc.stderr.read()
        yield f"http://127.0.0.1:{match.group(1)}/v1"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_simulate_serves_a_cases_file_and_endpoints_check_reports_it(
    farm_home, tmp_path, single_turn
):
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(cases_to_json(single_turn))
    with simulate("--cases-file", str(cases_file), "--latency", "0.01") as url:
        models = httpx.get(f"{url}/models").json()
        assert models["data"][0]["simulator"] is True
        done = run_farm("endpoints", "check", "--endpoint", url.removesuffix("/v1"))
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ok") and "healthy; models: farm-simulator" in done.stdout
        doctor = run_farm("doctor", env={"COMPLETION_BASE_URL": url})
        assert re.search(r"ok\s+endpoint completion \(env\) .*farm-simulator", doctor.stdout), (
            doctor.stdout
        )
    down = run_farm("endpoints", "check", "--endpoint", "127.0.0.1:9", "--json")
    assert down.returncode == 1 and '"ok": false' in down.stdout


def test_simulate_serves_a_suite_from_the_database(farm_home, single_turn):
    load_mini_suite(load_settings(), open_database(load_settings()))
    python_case = next(c for c in single_turn if c.category == "simple_python")
    java_case = next(c for c in single_turn if c.category == "simple_java")
    with simulate("--suite", f"bfcl@{MINI_VERSION}", "-c", "simple_python") as url:
        answers = [
            httpx.post(
                f"{url}/chat/completions", json={"model": "m", "messages": c.turns[0]}
            ).json()["choices"][0]["message"]["content"]
            for c in (python_case, java_case)
        ]
    assert answers[0].startswith("[") and "no such case" in answers[1]


def test_bad_simulate_options_give_one_line_and_a_nonzero_exit(farm_home):
    runner = CliRunner()
    unknown = runner.invoke(cli, ["simulate", "--suite", "nosuch"])
    assert unknown.exit_code != 0 and unknown.stderr.startswith("farm: error:")
    assert len(unknown.stderr.strip().splitlines()) == 1
    bad = runner.invoke(cli, ["simulate", "--cases-file", "/nonexistent.json"])
    assert bad.exit_code == 2 and bad.stderr.startswith("farm: error: cannot read")
    rate = runner.invoke(cli, ["simulate", "--cases-file", "/dev/null", "--wrong-rate", "2"])
    assert rate.exit_code == 2 and "--wrong-rate" in rate.stderr


def test_an_api_key_reaches_neither_the_logs_nor_the_database(farm_home, tmp_path, single_turn):
    secret = "sk-farm-test-0123456789abcdef"
    url = create_database()
    try:
        env = {"FARM_DATABASE_URL": url, "OPENAI_API_KEY": secret}
        migrated = run_farm("db", "upgrade", env=env)
        assert migrated.returncode == 0, migrated.stderr
        settings = load_settings(database_url=url)
        load_mini_suite(settings, open_database(settings))
        cases_file = tmp_path / "cases.json"
        cases_file.write_text(cases_to_json(single_turn))
        with simulate("--cases-file", str(cases_file), "--fail-first", "1") as sim_url:
            done = run_farm(
                "-vv",
                "run",
                "-m",
                "someone/model",
                "--mode",
                "fc",
                "--endpoint",
                sim_url,
                "--suite",
                f"bfcl@{MINI_VERSION}",
                "-c",
                "simple_python",
                env=env,
            )
        assert done.returncode == 0, done.stderr[-2000:]
        assert secret not in done.stdout and secret not in done.stderr
        engine = create_engine(url)
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                dump = (
                    conn.execute(text(f'SELECT CAST(t AS text) FROM "{table}" t')).scalars().all()
                )
                assert not any(secret in row for row in dump), table
            assert conn.execute(text("SELECT count(*) FROM results")).scalar() > 0
        engine.dispose()
    finally:
        drop_database(url)


def test_module_entry_point_reports_a_bad_cases_file(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    done = subprocess.run(
        [sys.executable, "-m", "farm.simulator", "--cases-file", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.startswith("farm simulator: error:")


def test_an_unknown_suite_is_refused_before_any_request_reaches_the_endpoint(farm_home):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Count(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        result = run_farm(
            "run", "-m", "some-model", "--mode", "fc", "--endpoint", url, "--suite", "nosuch"
        )
    finally:
        server.shutdown()
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("farm: error:") and "nosuch" in lines[0]
    assert seen == []
