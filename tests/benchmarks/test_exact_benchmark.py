"""A benchmark that is not BFCL runs end to end through ``farm run`` and ``farm leaderboard``.

The benchmark (:mod:`tests.benchmarks.exact`) is registered from the test package through
the ``farm.benchmarks`` entry-point group: a ``.dist-info`` folder on the CLI's
``PYTHONPATH``, as an installed plug-in package would have. The model is a loopback server
of this test that calls the function named in the question with the arguments in it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from farm.config import load_settings
from farm.db.migrate import open_database
from farm.suites.build import SuiteData
from farm.suites.case import Case
from farm.suites.store import store_suite
from tests.conftest import REPO, run_farm

FUNCTION = {
    "name": "set_alarm",
    "description": "Set an alarm.",
    "parameters": {
        "type": "dict",
        "properties": {"hour": {"type": "integer"}, "label": {"type": "string"}},
        "required": ["hour"],
    },
}


def exact_case(i: int, asked: dict, expected: dict) -> Case:
    question = json.dumps({"name": "set_alarm", "arguments": asked})
    return Case(
        case_id=f"exact_call_{i}",
        category="exact_call",
        language="python",
        turns=[[{"role": "user", "content": question}]],
        functions=[FUNCTION],
        answer={"name": "set_alarm", "arguments": expected},
        position=i,
    )


class EchoCalls(BaseHTTPRequestHandler):
    """Answers every chat completion with the call spelled out in the last user message."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send({"object": "list", "data": [{"id": "echo", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        try:
            call = json.loads(body["messages"][-1]["content"])
        except ValueError:  # not a case (the farm's start-up check): a plain answer
            message = {"role": "assistant", "content": "OK"}
            self._send({"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})
            return
        tool_call = {
            "id": "call_0",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
        }
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call]}
        self._send(
            {
                "id": "x",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoCalls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def plugin_path(tmp_path: Path) -> str:
    """A PYTHONPATH on which the test benchmark is an installed ``farm.benchmarks`` plug-in."""
    dist = tmp_path / "plugins" / "farm_exact_benchmark-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: farm-exact-benchmark\nVersion: 0.1\n"
    )
    (dist / "entry_points.txt").write_text("[farm.benchmarks]\nexact = tests.benchmarks.exact\n")
    return os.pathsep.join([str(REPO), str(dist.parent)])


def test_a_plugged_in_benchmark_runs_and_ranks_with_no_core_change(
    farm_home, echo_server, plugin_path
):
    settings = load_settings()
    engine = open_database(settings)
    cases = [
        exact_case(0, {"hour": 7, "label": "run"}, {"hour": 7, "label": "run"}),
        exact_case(1, {"hour": 9}, {"hour": 9}),
        exact_case(2, {"hour": 6}, {"hour": 5}),  # the model does what it is told: wrong
    ]
    store_suite(engine, SuiteData("exact", "1", "tests", "0" * 64, cases))
    engine.dispose()
    env = {"PYTHONPATH": plugin_path}

    done = run_farm(
        "run", "--model", "echo", "--endpoint", echo_server, "--mode", "fc",
        "--suite", "exact", "-c", "all", "--json", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "done"

    board = run_farm("leaderboard", "--suite", "exact", "--format", "json", env=env)
    assert board.returncode == 0, board.stderr
    (row,) = json.loads(board.stdout)["leaderboard"]
    assert row["categories"]["exact_call"]["n"] == 3
    assert row["categories"]["exact_call"]["correct"] == 2
    assert list(row["sections"]) == ["overall"]
    assert row["sections"]["overall"]["accuracy"] == pytest.approx(2 / 3)


def test_without_the_plugin_the_same_categories_are_not_its_own(farm_home, plugin_path):
    from farm.benchmarks.registry import benchmark_for

    assert benchmark_for("exact_call").name == "bfcl"  # unclaimed: the default benchmark
