"""`farm endpoints probe` and the start-up probe, against the simulator on loopback."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from farm.endpoints.conformance import PROBES, SHORT
from farm.endpoints.probe import probe_endpoint, select_probes, startup_check
from farm.errors import ConfigError, EndpointTransient
from farm.models.registry import EndpointConfig, ModelSpec
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import SimulatorHandle, running_simulator
from farm.suites.case import Case
from tests.conftest import run_farm

CASE = Case(
    "simple_python_0",
    "simple_python",
    "python",
    [[{"role": "user", "content": "Find the area of a triangle with base 10 and height 5."}]],
    [
        {
            "name": "calculate_triangle_area",
            "description": "Area of a triangle.",
            "parameters": {
                "type": "dict",
                "properties": {"base": {"type": "integer"}, "height": {"type": "integer"}},
                "required": ["base", "height"],
            },
        }
    ],
    [{"calculate_triangle_area": {"base": [10], "height": [5]}}],
)


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, SimulatorHandle]]:
    styles = [
        "tool_calls",
        "arguments_object",
        "bad_json",
        "truncated",
        "no_finish_reason",
        "hermes",
        "glm4",
    ]
    handles: dict[str, SimulatorHandle] = {}
    managers = []
    for style in styles:
        manager = running_simulator([CASE], SimulatorConfig(call_style=style))
        handles[style] = manager.__enter__()
        managers.append(manager)
    yield handles
    for manager in managers:
        manager.__exit__(None, None, None)


def _probe(url: str, mode: str = "fc") -> dict[str, list[str]]:
    report = asyncio.run(probe_endpoint(url, "farm-simulator", mode=mode, timeout=10))
    return {c.probe: c.issues for c in report.checks}


def test_there_are_about_twenty_probes_and_a_short_set() -> None:
    assert len(PROBES) == 20 and len({p.name for p in PROBES}) == 20
    assert len(select_probes("fc", short=True)) == len(SHORT) == 4
    assert len(select_probes("prompt")) == 16


@pytest.mark.parametrize("mode", ["fc", "prompt"])
def test_the_simulator_conforms_fully(sims: dict[str, SimulatorHandle], mode: str) -> None:
    issues = _probe(sims["tool_calls"].base_url, mode)
    assert issues == {name: [] for name in issues}


@pytest.mark.parametrize(
    ("style", "issue"),
    [
        ("arguments_object", "arguments_object"),
        ("bad_json", "invalid_json"),
        ("truncated", "finish_reason:length"),
        ("no_finish_reason", "finish_reason:missing"),
        ("hermes", "calls_as_text:hermes"),
        ("glm4", "calls_as_text:glm4"),
    ],
)
def test_each_deviation_is_reported(
    sims: dict[str, SimulatorHandle], style: str, issue: str
) -> None:
    issues = _probe(sims[style].base_url)
    assert issues["one_call"] and issue in issues["one_call"], issues["one_call"]
    assert issues["no_call_needed"] == [] or style in ("truncated", "no_finish_reason")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_probe_table_json_and_dead_url(
    sims: dict[str, SimulatorHandle], farm_home: Path
) -> None:
    good = run_farm("endpoints", "probe", sims["tool_calls"].base_url, "--model", "farm-simulator")
    assert good.returncode == 0, good.stderr
    assert "conformance 20/20 (100.0%)" in good.stdout
    text = run_farm(
        "endpoints", "probe", sims["hermes"].base_url, "--model", "farm-simulator", "--json"
    )
    assert text.returncode == 1
    report = json.loads(text.stdout)
    assert report["text_formats"] == ["hermes"] and report["passed"] < report["total"] == 20
    dead = run_farm(
        "endpoints", "probe", f"http://127.0.0.1:{_free_port()}", "--model", "m", "--timeout", "3"
    )
    assert dead.returncode != 0 and dead.stdout == ""
    lines = dead.stderr.strip().splitlines()
    assert len(lines) == 1 and "connection failed" in lines[0], dead.stderr


def _spec(url: str, call_format: str = "fc") -> ModelSpec:
    return ModelSpec(
        key="m",
        backend="simulator",
        served_name="farm-simulator",
        endpoints=[EndpointConfig(base_url=url)],
        mode=call_format,
    )


def test_startup_check_warns_names_the_format_and_refuses_when_strict(
    sims: dict[str, SimulatorHandle],
) -> None:
    assert startup_check(_spec(sims["tool_calls"].base_url)) == []
    warnings = startup_check(_spec(sims["hermes"].base_url))
    assert len(warnings) == 1 and "--call-format hermes" in warnings[0]
    assert startup_check(_spec(sims["hermes"].base_url, "hermes")) == []
    with pytest.raises(ConfigError, match="--strict: .*--call-format hermes"):
        startup_check(_spec(sims["hermes"].base_url), strict=True)
    objects = startup_check(_spec(sims["arguments_object"].base_url))
    assert len(objects) == 1 and "arguments_object" in objects[0]
    dead = startup_check(_spec(f"http://127.0.0.1:{_free_port()}"))
    assert len(dead) == 1 and "connection failed" in dead[0]
    with pytest.raises(EndpointTransient):
        asyncio.run(probe_endpoint(f"http://127.0.0.1:{_free_port()}", "m", timeout=2))


def test_a_server_that_is_no_openai_api_is_one_line(farm_home: Path) -> None:
    """A web server answering every probe with an HTTP error is no endpoint: one line."""
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)  # POST: 501
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        proc = run_farm("endpoints", "probe", url, "--model", "m", "--timeout", "3")
        warnings = startup_check(_spec(url))
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode != 0 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "HTTP 501" in lines[0] and "OpenAI" in lines[0], proc.stderr
    assert len(warnings) == 1 and "HTTP 501" in warnings[0]


def test_probes_that_wait_past_the_timeout_say_so_and_concurrency_limits_them(
    farm_home: Path,
) -> None:
    """A one-request-at-a-time server (a CPU llama-server): queued probes time out."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Slow(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(0.15)
            message = {"role": "assistant", "content": "Hello."}
            body = json.dumps(
                {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = HTTPServer(("127.0.0.1", 0), Slow)  # one request at a time
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        crowded = run_farm("endpoints", "probe", url, "-m", "m", "--timeout", "0.8", "--json")
        serial = run_farm(
            "endpoints", "probe", url, "-m", "m", "--timeout", "0.8", "--concurrency", "1",
            "--json",
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    issues = [i for p in json.loads(crowded.stdout)["probes"] for i in p["issues"]]
    assert "timed_out" in issues and "no_answer" not in issues, crowded.stdout
    issues = [i for p in json.loads(serial.stdout)["probes"] for i in p["issues"]]
    assert "timed_out" not in issues and "no_answer" not in issues, serial.stdout
