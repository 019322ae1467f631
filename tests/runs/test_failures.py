"""Errors are never verdicts: dead endpoints fail fast, failed cases make a run incomplete,
``farm resume`` re-runs them and the scores then equal a clean run's."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import select

from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, Run, RunScore
from farm.db.models import TestCase as CaseRow
from farm.failures import Breaker
from farm.report.rows import INCOMPLETE_MARK
from farm.result_row import Failure, ResultRow
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite
from tests.runs.conftest import Workers, farm_cli, wait_until

#: Single-turn categories with irrelevance ones, where an error once counted as correct.
CATEGORIES = "simple_python,multiple,parallel,irrelevance,live_simple,live_irrelevance"
#: Every simulator answers a stable 30% of cases wrongly, so scores are not all 100%.
WRONG = 0.3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def scores(engine, run_id: uuid.UUID) -> dict[tuple[str, str], tuple[int, int, float]]:
    with session_scope(engine) as session:
        return {
            (s.kind, s.category): (s.n, s.correct, round(s.accuracy, 9))
            for s in session.scalars(select(RunScore).where(RunScore.run_id == run_id))
        }


def test_a_dead_endpoint_stops_farm_run_within_seconds_with_one_line(farm_home: Path) -> None:
    suite = load_mini_suite(load_settings(), open_database(load_settings()))
    port = free_port()  # nothing listens here
    started = time.monotonic()
    done = run_farm(
        "run", "--model", "dead", "--mode", "fc", "--endpoint", f"http://127.0.0.1:{port}/v1",
        "--suite", f"bfcl@{suite.version}", "-c", "single_turn",
        env={"FARM_MAX_ATTEMPTS": "1"}, timeout=60,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert elapsed < 20
    assert (
        done.stderr.strip() == f"farm: error: endpoint http://127.0.0.1:{port}: connection refused"
    )
    engine = open_database(load_settings())
    with session_scope(engine) as session:  # nothing planned, so nothing scored
        assert session.scalar(select(Run.id)) is None


def test_an_endpoint_that_fails_every_request_after_its_check_stops_the_run_after_20(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["single_turn"])
    assert len(cases) > 20
    # each distinct request fails once: the check's retry passes, every case's only try fails
    config = SimulatorConfig(fail_first=1, fail_kind="5xx")
    with running_simulator(cases, config) as sim:
        done = run_farm(
            "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite",
            f"bfcl@{suite.version}", "-c", "single_turn", "--concurrency", "1",
            env={"FARM_MAX_ATTEMPTS": "1"},
        )  # fmt: skip
    assert done.returncode != 0
    line = last_line(done.stderr)
    base = sim.base_url.removesuffix("/v1")
    assert line.startswith(f"farm: error: endpoint {base}: HTTP 500")
    assert "on 20 of 20 requests; run " in line and "stopped incomplete" in line
    with session_scope(engine) as session:
        run = session.scalars(select(Run)).one()
        assert run.status == "incomplete"
        correct = session.scalars(
            select(RunScore.correct).where(RunScore.run_id == run.id, RunScore.kind == "category")
        ).all()
    assert set(correct) == {0}  # irrelevance included: no score made of errors


def test_a_run_with_30_percent_failed_requests_ends_incomplete_and_resume_completes_it(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=CATEGORIES.split(","))
    args = ["--model", "simulator", "--suite", f"bfcl@{suite.version}", "-c", CATEGORIES]
    env = {"FARM_MAX_ATTEMPTS": "1"}
    flaky = SimulatorConfig(wrong_rate=WRONG, fault_rate=0.3, seed=0)  # first draw: no fault
    with running_simulator(cases, flaky) as sim:
        failed = run_farm("run", *args, "--endpoint", sim.base_url, "--json", env=env)
    assert failed.returncode != 0
    run_id = uuid.UUID(json.loads(failed.stdout.strip().splitlines()[-1])["run_id"])
    line = last_line(failed.stderr)
    assert line.startswith(f"farm: error: run {run_id} incomplete: ")
    assert "endpoint_transient" in line and f"'farm resume {run_id}'" in line
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "incomplete"
        errors = session.scalars(
            select(Result).where(Result.run_id == run_id, Result.inference_error.is_not(None))
        ).all()
        assert errors and all(r.valid is None and r.raw_output is None for r in errors)
        assert {r.inference_error for r in errors} == {"endpoint_transient"}
        totals = {
            s.category: (s.n, s.correct, s.errors)
            for s in session.scalars(
                select(RunScore).where(RunScore.run_id == run_id, RunScore.kind == "category")
            )
        }
    for category, (n, correct, errs) in totals.items():
        assert correct <= n - errs, category  # errors are counted as wrong
    for fmt in ("csv", "table"):  # one marking for every format (farm.report.rows)
        shown = run_farm("leaderboard", "--format", fmt, "--run", str(run_id))
        assert shown.returncode == 0, shown.stderr
        assert INCOMPLETE_MARK in shown.stdout, fmt
    out = farm_home.parent / "bfcl"
    bfcl = run_farm("leaderboard", "--format", "bfcl-csv", "--run", str(run_id), "--out", str(out))
    assert bfcl.returncode == 0, bfcl.stderr
    rows = list(csv.reader(io.StringIO((out / "data_overall.csv").read_text())))
    assert any(INCOMPLETE_MARK in cell for row in rows[1:] for cell in row)  # BFCL's Model
    healthy = SimulatorConfig(wrong_rate=WRONG, seed=0)
    with running_simulator(cases, healthy) as sim:
        resumed = run_farm("resume", str(run_id), "--endpoint", sim.base_url, env=env)
        assert resumed.returncode == 0, resumed.stderr
        clean = run_farm("run", *args, "--endpoint", sim.base_url, "--json", env=env)
        assert clean.returncode == 0, clean.stderr
    clean_id = uuid.UUID(json.loads(clean.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "done"
        assert not session.scalars(
            select(Result.case_id).where(Result.run_id == run_id, Result.valid.is_(None))
        ).all()
    assert scores(engine, run_id) == scores(engine, clean_id)


def test_the_breaker_trips_once_on_the_first_n_failures() -> None:
    trips: list[str] = []
    breaker = Breaker(threshold=3, on_trip=lambda e: trips.append(e.message))
    for _ in range(5):
        breaker.record(ok=False, endpoint="http://127.0.0.1:9", reason="x: connection refused")
    assert trips == ["endpoint http://127.0.0.1:9: connection refused on 3 of 3 requests"]


def test_after_a_success_only_transport_failures_in_a_row_trip_the_breaker() -> None:
    trips: list[str] = []
    healthy = Breaker(threshold=3, on_trip=lambda e: trips.append(e.message))
    healthy.record(ok=True)
    for _ in range(5):  # per-case refusals (HTTP 400: prompt too long) are no dead endpoint
        healthy.record(ok=False, reason="HTTP 400", kind="endpoint_permanent")
    for _ in range(2):
        healthy.record(ok=False, reason="HTTP 500", kind="endpoint_transient")
    healthy.record(ok=True)  # a success in between starts the count again
    for _ in range(2):
        healthy.record(ok=False, reason="HTTP 500", kind="endpoint_transient")
    healthy.record(ok=False, reason="HTTP 400", kind="endpoint_permanent")  # it answered
    assert trips == [] and healthy.tripped is None
    for _ in range(4):  # the endpoint died half-way
        healthy.record(
            ok=False, endpoint="http://127.0.0.1:9", reason="x: connection refused",
            kind="endpoint_transient",
        )  # fmt: skip
    assert trips == [
        "endpoint http://127.0.0.1:9: connection refused on 3 requests in a row "
        "after earlier successes"
    ]


class _DyingEndpoint(ThreadingHTTPServer):
    """Answers the first ``ok`` case requests (text, no call), then the endpoint dies.

    The answers come after 0.3 s, the next 20 case requests get HTTP 500 after 0.6 s and
    later ones hang for 5 s: when the breaker trips, the shards holding the answers are
    still running. Requests that are no case of ``prompts`` (the start-up check and
    probe) are answered at once, so the run starts; ``answered`` counts the case answers.
    """

    daemon_threads = True
    block_on_close = False

    def __init__(self, prompts: set[str], ok: int) -> None:
        super().__init__(("127.0.0.1", 0), _DyingHandler)
        self.prompts, self.ok, self.answered, self.seen = prompts, ok, 0, 0
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _DyingHandler(BaseHTTPRequestHandler):
    server: _DyingEndpoint

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": "dying", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        texts = {str(m.get("content")) for m in body.get("messages", [])}
        server = self.server
        with server.lock:
            seen = server.seen = server.seen + bool(texts & server.prompts)
        if seen > server.ok + 20:
            time.sleep(5)
        if seen > server.ok:
            time.sleep(0.6)
            self._send(500, {"error": {"message": "the endpoint died"}})
            return
        if seen:
            time.sleep(0.3)
            with server.lock:
                server.answered += 1
        message = {"role": "assistant", "content": "I cannot help with that."}
        self._send(
            200,
            {
                "id": "x", "object": "chat.completion", "created": 0, "model": "dying",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )  # fmt: skip


def test_an_endpoint_that_dies_half_way_stops_the_run_and_keeps_what_it_answered(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["single_turn"])
    prompts = {str(m["content"]) for c in cases for turn in c.turns for m in turn}
    ok = 3
    assert len(cases) > ok + 20
    server = _DyingEndpoint(prompts, ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = run_farm(
            "run", "--model", "dying", "--mode", "fc", "--endpoint", server.base_url,
            "--suite", f"bfcl@{suite.version}", "-c", "single_turn",
            env={"FARM_MAX_ATTEMPTS": "1", "FARM_SHARD_SIZE": "8"},  # 3 shards run, 1 waits
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode != 0
    base = server.base_url.removesuffix("/v1")
    line = last_line(done.stderr)
    assert line.startswith(f"farm: error: endpoint {base}: HTTP 500"), done.stderr
    assert "on 20 requests in a row after earlier successes; run " in line
    assert server.answered == ok
    with session_scope(engine) as session:
        run = session.scalars(select(Run)).one()
        assert run.status == "incomplete"
        rows = session.scalars(select(Result).where(Result.run_id == run.id)).all()
    # the answered cases are kept (scored), the failed ones are left for 'farm resume'
    assert len([r for r in rows if r.valid is not None]) == ok
    assert len(rows) < len(cases)


def test_a_result_row_has_a_verdict_or_a_failure_and_failures_never_reach_raw_output() -> None:
    failure = Failure("endpoint_transient", "HTTP 503", attempts=4)
    row = ResultRow("c1", "simple_python", failure=failure, worker="w")
    columns = row.columns()
    assert columns["valid"] is None and columns["raw_output"] is None
    assert (columns["inference_error"], columns["attempts"]) == ("endpoint_transient", 4)
    scorer = ResultRow(
        "c2", "simple_python", raw_output="[f()]", failure=Failure("scorer_error", "boom")
    )
    assert scorer.columns()["error_type"] == "scorer_error" and not scorer.model_error
    assert scorer.columns()["raw_output"] == "[f()]" and scorer.columns()["inference_error"] is None
    for bad in ({}, {"valid": True, "failure": failure}):
        try:
            ResultRow("c3", "simple_python", **bad)  # type: ignore[arg-type]
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_farm_submit_wait_exits_non_zero_on_an_incomplete_run_and_resume_completes_it(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    categories = ["simple_python", "multiple", "irrelevance"]
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=categories)
    flaky = SimulatorConfig(fault_rate=0.5, seed=0)
    with running_simulator(cases, flaky) as sim:
        workers.start(sim.base_url, env={"FARM_MAX_ATTEMPTS": "1"})
        wait_until(lambda: "farm worker " in workers.log(0), 30, "the worker to start")
        done = farm_cli(
            runs_settings, "submit", "--model", "simulator", "--suite", suite_spec,
            "-c", ",".join(categories), "--wait", "--json", "--timeout", "60",
        )  # fmt: skip
    assert done.returncode != 0, done.stdout
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    assert last_line(done.stderr).startswith(f"farm: error: run {run_id} incomplete: ")
    workers.stop_all()
    with running_simulator(cases, SimulatorConfig()) as sim:
        workers.start(sim.base_url)
        resumed = farm_cli(runs_settings, "resume", str(run_id))
        assert resumed.returncode == 0, resumed.stderr
        assert "re-enqueued" in resumed.stdout

        def is_done() -> bool:
            with session_scope(runs_engine) as session:
                run = session.get(Run, run_id)
                return run is not None and run.status == "done"

        wait_until(is_done, 60, "the resumed run to finish")
    with session_scope(runs_engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == run_id)).all()
    assert len(rows) == len(cases) and all(r.valid is not None for r in rows)


def test_a_scorer_exception_is_a_scorer_error_row_shown_apart_never_a_wrong_answer(
    farm_home: Path,
) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["simple_python"])
        broken = session.get(CaseRow, (suite.id, cases[0].case_id))
        assert broken is not None
        broken.answer = 5  # a malformed ground truth: BFCL's checker raises on it
    with running_simulator(cases, SimulatorConfig()) as sim:
        done = run_farm(
            "run", "--model", "simulator", "--endpoint", sim.base_url, "--suite",
            f"bfcl@{suite.version}", "-c", "simple_python", "--json",
        )  # fmt: skip
    assert done.returncode != 0
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    assert "(1 scorer_error)" in last_line(done.stderr)
    with session_scope(engine) as session:
        row = session.get(Result, (run_id, cases[0].case_id))
        assert row is not None
        assert (row.valid, row.error_type, row.inference_error) == (None, "scorer_error", None)
        assert row.raw_output is not None  # the model's answer is kept
        assert "Traceback" in row.error_detail["traceback"]
        score = session.get(RunScore, (run_id, "simple_python", "category"))
        assert score is not None
        assert (score.n, score.correct, score.errors, score.scorer_errors) == (
            len(cases),
            len(cases) - 1,
            0,
            1,
        )
    shown = run_farm("status", str(run_id))
    assert "scorer" in shown.stdout, shown.stdout


def test_a_worker_whose_endpoint_is_dead_exits_at_start_with_one_line(
    runs_settings, workers: Workers
) -> None:
    port = free_port()
    started = time.monotonic()
    proc = workers.start(f"http://127.0.0.1:{port}/v1")
    assert proc.wait(timeout=60) != 0
    assert time.monotonic() - started < 30
    log = workers.log(0).strip()
    assert (
        log.splitlines()[-1] == f"farm: error: endpoint http://127.0.0.1:{port}: connection refused"
    )
    assert "Traceback" not in log


def test_ctrl_c_keeps_what_finished_says_how_to_resume_and_resume_completes(
    farm_home: Path,
) -> None:
    import os
    import signal
    import subprocess
    import sys

    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["single_turn"])
    args = ["--model", "simulator", "--suite", f"bfcl@{suite.version}", "-c", "single_turn"]
    slow = SimulatorConfig(latency_s=0.5, capacity=2)
    with running_simulator(cases, slow) as sim:
        proc = subprocess.Popen(
            [sys.executable, "-m", "farm.cli.main", "run", *args, "--endpoint", sim.base_url,
             "--concurrency", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        )  # fmt: skip

        def some_stored() -> bool:
            with session_scope(engine) as session:
                return bool(session.scalar(select(Result.case_id).limit(1)))

        wait_until(some_stored, 60, "a first stored result")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        with session_scope(engine) as session:
            run_id = session.scalars(select(Run.id)).one()
            kept = session.scalar(select(Result.case_id).where(Result.run_id == run_id).limit(1))
        assert kept is not None  # what finished is stored
        assert last_line(err) == (
            f"farm: run {run_id} interrupted: the finished cases are stored; "
            f"'farm resume {run_id}' runs the rest"
        )
        assert "Traceback" not in err
        resumed = run_farm("resume", str(run_id), "--endpoint", sim.base_url)
    assert resumed.returncode == 0, resumed.stderr
    with session_scope(engine) as session:
        n = len(session.scalars(select(Result.case_id).where(Result.run_id == run_id)).all())
    assert n == len(cases)
