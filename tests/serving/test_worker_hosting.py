"""Hosting through the worker's one endpoint entry point, and `farm worker --gpus` itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest

from farm.config import load_settings
from farm.errors import ConfigError, ServingError
from farm.models.registry import lookup_model
from tests.serving.conftest import STANDIN, pid_alive
from workers.endpoint import EndpointOptions, open_endpoint
from workers.serving.hosting import hosted_model

MODELS_TOML = """
[models.tiny]
backend = "vllm"
served_name = "tiny"
model_path = "org/tiny"
tool_call_parser = "hermes"
max_model_len = 4096
"""


@contextmanager
def host_model(settings, spec, *, gpus):
    """The hosted replicas' base URLs, as the worker uses them."""
    with hosted_model(settings, spec, gpus=gpus) as servers:
        yield [server.base_url for server in servers if server.base_url]


@pytest.fixture
def hosting_env(farm_home, monkeypatch):
    """FARM_HOME with a vLLM-served model 'tiny' and the stand-in as the server command."""
    farm_home.mkdir(parents=True, exist_ok=True)
    (farm_home / "models.toml").write_text(MODELS_TOML)
    monkeypatch.setenv("FARM_SERVER_COMMAND", f"{sys.executable} {STANDIN}")
    monkeypatch.setenv("FARM_SERVER_READY_TIMEOUT", "20")
    monkeypatch.setenv("FARM_SERVER_STOP_GRACE", "3")
    return farm_home


def server_pid(url: str) -> int:
    return httpx.get(url.removesuffix("/v1") + "/standin/info", timeout=5).json()["pid"]


def test_host_model_starts_a_replica_per_gpu_and_publishes_their_endpoints(
    hosting_env, tmp_path, monkeypatch
):
    published = tmp_path / "shared" / "endpoint.json"
    monkeypatch.setenv("FARM_SERVER_PUBLISH", str(published))
    settings = load_settings()
    spec = lookup_model(settings, "tiny")
    with host_model(settings, spec, gpus="0,1") as urls:
        assert len(urls) == 2
        record = json.loads(published.read_text())
        assert record["served_name"] == "tiny" and record["endpoints"] == urls
        pids = [server_pid(url) for url in urls]
        assert all(pid_alive(pid) for pid in pids)
    assert not any(pid_alive(pid) for pid in pids)
    assert not published.exists()


def test_open_endpoint_hosts_with_gpus_and_stops_the_servers_on_exit(hosting_env):
    settings = load_settings()
    spec = lookup_model(settings, "tiny")
    options = EndpointOptions(gpus="0,1", tensor_parallel=2)
    with open_endpoint(settings, spec, options) as urls:
        assert len(urls) == 1
        conf = httpx.get(urls[0].removesuffix("/v1") + "/standin/info").json()
        assert conf["env"]["CUDA_VISIBLE_DEVICES"] == "0,1"
        assert conf["conf"]["tensor_parallel_size"] == 2
        pid = conf["pid"]
    assert not pid_alive(pid)


def test_attach_checks_the_external_server_and_leaves_it_running(hosting_env, monkeypatch):
    settings = load_settings()
    spec = lookup_model(settings, "tiny")
    with host_model(settings, spec, gpus="0") as (url,):
        port = url.rsplit(":", 1)[1].split("/")[0]
        monkeypatch.setenv("VLLM_PORT", port)
        settings = load_settings()
        with open_endpoint(settings, spec, EndpointOptions(attach=True)) as urls:
            assert urls == [url]
        assert pid_alive(server_pid(url))
        other = spec.model_copy(update={"served_name": "something-else"})
        with pytest.raises(ServingError, match="does not serve 'something-else'"):
            with open_endpoint(settings, other, EndpointOptions(attach=True)):
                pass


def test_attach_to_nothing_running_or_with_gpus_is_refused(hosting_env, monkeypatch):
    settings = load_settings()
    spec = lookup_model(settings, "tiny")
    # Attaching to a port where nothing answers is refused, naming the URL it tried.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    monkeypatch.setenv("VLLM_PORT", str(free))
    settings = load_settings()
    with pytest.raises(ServingError, match=f"127.0.0.1:{free}"):
        with open_endpoint(settings, spec, EndpointOptions(attach=True, attach_wait_s=1.0)):
            pass
    with pytest.raises(ConfigError, match="either --gpus"):
        with open_endpoint(settings, spec, EndpointOptions(attach=True, gpus="0")):
            pass


def test_bad_serving_settings_are_one_line_errors(hosting_env, monkeypatch):
    settings = load_settings()
    with pytest.raises(ConfigError, match="invalid setting FARM_SERVER_PORT"):
        with hosted_model(settings, lookup_model(settings, "tiny"), gpus="0", port=99999):
            pass
    monkeypatch.setenv("FARM_SERVER_PORT", "99999")
    with pytest.raises(ConfigError, match="invalid setting FARM_SERVER_PORT"):
        load_settings()


def test_farm_worker_with_gpus_hosts_replicas_and_stops_them_on_sigterm(hosting_env, redis_url):
    env = {**os.environ, "FARM_BROKER_URL": redis_url, "FARM_BROKER_KEY_PREFIX": "serving-test"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "worker", "--model", "tiny", "--gpus", "0,1"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert worker.stderr is not None
        banner = ""
        deadline = time.monotonic() + 60
        while "farm worker" not in banner and time.monotonic() < deadline:
            banner = worker.stderr.readline()
            assert banner or worker.poll() is None, "worker exited before its banner"
        urls = [part.strip(",") for part in banner.split() if part.startswith("http://")]
        assert len(urls) == 2, banner
        pids = [server_pid(url) for url in urls]
        assert all(pid_alive(pid) for pid in pids)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert not any(pid_alive(pid) for pid in pids)


def test_sigterm_while_the_servers_load_stops_them_and_the_worker(hosting_env, redis_url):
    env = {
        **os.environ,
        "FARM_BROKER_URL": redis_url,
        "FARM_BROKER_KEY_PREFIX": "serving-test",
        "STANDIN_HANG": "1",
        "FARM_SERVER_READY_TIMEOUT": "120",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "worker", "--model", "tiny", "--gpus", "0,1"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    slots = hosting_env / "run" / "serving" / "slots"
    deadline = time.monotonic() + 30
    while len(list(slots.glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = [json.loads(p.read_text())["pid"] for p in slots.glob("*.json")]
    assert len(pids) == 2 and all(pid_alive(pid) for pid in pids)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode != 0
    assert not any(pid_alive(pid) for pid in pids)
    assert "Traceback" not in err


def test_farm_models_serve_publishes_its_endpoint_and_stops_on_sigterm(hosting_env, tmp_path):
    published = tmp_path / "endpoint.json"
    serve = subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "models", "serve", "tiny", "--gpus", "0"]
        + ["--host", "0.0.0.0", "--publish", str(published)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()
        assert line, serve.stderr.read() if serve.stderr else ""
        announced = json.loads(line)
        assert announced["served_name"] == "tiny"
        (public,) = announced["endpoints"]
        port = public.rsplit(":", 1)[1].split("/")[0]
        assert json.loads(published.read_text())["endpoints"] == [public]
        pid = server_pid(f"http://127.0.0.1:{port}/v1")
        assert pid_alive(pid)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    assert not pid_alive(pid)
    assert not published.exists()


def test_farm_models_serve_exits_with_the_log_when_its_server_dies(hosting_env):
    serve = subprocess.Popen(
        [sys.executable, "-m", "farm.cli.main", "models", "serve", "tiny", "--gpus", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert serve.stdout is not None
    (url,) = json.loads(serve.stdout.readline())["endpoints"]
    os.kill(server_pid(url), signal.SIGKILL)
    _, err = serve.communicate(timeout=30)
    assert serve.returncode == 1
    assert "farm: error: server on gpu0 exited with status -9" in err


def test_a_hosted_model_answers_a_bfcl_run_end_to_end(hosting_env, tmp_path, monkeypatch):
    from sqlalchemy import select

    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.db.models import Result
    from farm.simulator.server import cases_to_json
    from farm.suites.store import load_cases
    from tests.conftest import run_farm
    from tests.fixtures.minisuite import load_mini_suite

    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["simple_python", "multiple"])
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(cases_to_json(cases))
    monkeypatch.setenv("STANDIN_SIMULATOR_CASES", str(cases_file))
    spec = lookup_model(settings, "tiny")
    with host_model(settings, spec, gpus="0") as (url,):
        done = run_farm(
            "run",
            "--model",
            "tiny",
            "--endpoint",
            url,
            "--suite",
            f"bfcl@{suite.version}",
            "--categories",
            "simple_python,multiple",
            "--json",
        )
    assert done.returncode == 0, done.stderr
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == run_id)).all()
        assert len(rows) == len(cases) > 0
        assert all(row.valid and row.inference_error is None for row in rows)
        assert {row.endpoint for row in rows} <= {url, url.removesuffix("/v1")}
