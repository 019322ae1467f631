"""Hosting and attaching through ModelServer, against the stand-in vLLM on loopback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from farm.errors import ServingError
from tests.serving.conftest import STANDIN, pid_alive
from workers.gpus import GpuSlot
from workers.serving.host import ModelServer, hosted_replicas
from workers.serving.process import read_pidfile
from workers.serving.spec import LaunchSpec


def info(server: ModelServer) -> dict:
    assert server.base_url is not None
    root = server.base_url.removesuffix("/v1")
    return httpx.get(f"{root}/standin/info", timeout=5).json()


def test_a_hosted_server_is_ready_serves_its_names_and_stops_its_whole_group(host_options, launch):
    server = ModelServer(launch, options=host_options(), slot=GpuSlot(devices=(0,)))
    with server:
        assert server.owned and server.ready_seconds is not None
        listed = [m["id"] for m in httpx.get(f"{server.base_url}/models").json()["data"]]
        assert listed == ["tiny", server.nonce_name]
        seen = info(server)
        assert seen["env"]["CUDA_VISIBLE_DEVICES"] == "0"
        assert seen["env"]["FARM_SERVING_NONCE"] == server.nonce
        assert seen["conf"]["auto_tool_choice"] and seen["conf"]["tool_call_parser"] == "hermes"
        assert seen["conf"]["generation_config"] == "vllm"
        assert server.kv_cache_tokens == 1048576 and server.max_concurrency == 256.0
        pid = seen["pid"]
        pidfile = host_options().run_dir / "slots" / "gpu0.json"
        record = read_pidfile(pidfile)
        assert record is not None and record.nonce == server.nonce
    assert not pid_alive(pid)
    assert not pidfile.exists()


def test_the_vllm_serve_form_of_the_command_line_is_accepted(host_options, launch):
    options = host_options(launcher=(sys.executable, str(STANDIN), "serve"))
    with ModelServer(launch, options=options) as server:
        seen = info(server)
        assert seen["conf"]["form"] == "serve" and seen["argv"][1] == "org/tiny-model"


def test_sglang_is_launched_with_its_own_flags_and_parser_names(host_options, launch):
    with ModelServer(launch, options=host_options(backend="sglang")) as server:
        conf = info(server)["conf"]
        assert conf["backend"] == "sglang" and conf["tool_call_parser"] == "qwen25"
        assert conf["names"] == ["tiny"]


def test_a_crash_at_start_is_reported_with_the_command_and_the_log_tail(
    host_options, launch, monkeypatch
):
    monkeypatch.setenv("STANDIN_CRASH", "1")
    server = ModelServer(launch, options=host_options())
    with pytest.raises(ServingError) as caught:
        server.start()
    message = str(caught.value)
    assert "exited with status 1 before it was ready (likely: another process holds GPU" in message
    assert "Free memory on device" in message
    assert f"command: {sys.executable} {STANDIN} --model org/tiny-model" in message
    assert server.process is None


def test_a_server_that_hangs_is_stopped_at_the_readiness_deadline(
    host_options, launch, monkeypatch
):
    monkeypatch.setenv("STANDIN_HANG", "1")
    server = ModelServer(launch, options=host_options(ready_timeout=1.5))
    started = time.monotonic()
    with pytest.raises(ServingError, match=r"not ready within 1.5 s \(never answered /health\)"):
        server.start()
    assert time.monotonic() - started < 10
    assert not list((host_options().run_dir / "slots").glob("*.json"))


def test_the_deadline_error_quotes_the_log_tail(host_options, launch, monkeypatch):
    monkeypatch.setenv("STANDIN_HANG", "1")
    with pytest.raises(ServingError) as caught:
        ModelServer(launch, options=host_options(ready_timeout=1.0)).start()
    assert "    | INFO: loading weights" in str(caught.value)


def test_a_server_on_the_port_without_our_nonce_is_refused(host_options, launch, monkeypatch):
    monkeypatch.setenv("STANDIN_DROP_NONCE", "1")
    with pytest.raises(ServingError, match="another server answers this port"):
        ModelServer(launch, options=host_options()).start()


def test_a_port_that_is_already_in_use_is_refused_before_launch(host_options, launch):
    with ModelServer(launch, options=host_options()) as first:
        assert first.base_url is not None
        port = int(first.base_url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(ServingError, match=f"port {port} is reserved"):
            ModelServer(launch, options=host_options(port=port)).start()
    with subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        line = other.stdout.readline() if other.stdout else ""
        busy = int(line.split("port ")[1].split()[0])
        try:
            with pytest.raises(ServingError, match=f"port {busy} is already in use"):
                ModelServer(launch, options=host_options(port=busy)).start()
        finally:
            other.terminate()


def test_stop_kills_a_child_left_behind_and_a_server_ignoring_sigterm(
    host_options, launch, monkeypatch, tmp_path
):
    child_file = tmp_path / "child.pid"
    monkeypatch.setenv("STANDIN_CHILD", str(child_file))
    monkeypatch.setenv("STANDIN_IGNORE_TERM", "1")
    server = ModelServer(launch, options=host_options(stop_grace=0.5))
    server.start()
    pid = info(server)["pid"]
    child = int(child_file.read_text())
    assert pid_alive(pid) and pid_alive(child)
    server.stop()
    assert not pid_alive(pid) and not pid_alive(child)


def test_stop_kills_a_child_left_behind_when_the_server_exits_on_sigterm(
    host_options, launch, monkeypatch, tmp_path
):
    child_file = tmp_path / "child.pid"
    monkeypatch.setenv("STANDIN_CHILD", str(child_file))
    server = ModelServer(launch, options=host_options(stop_grace=0.5))
    server.start()
    child = int(child_file.read_text())
    server.stop()
    assert not pid_alive(child)


def test_attach_mode_uses_an_external_server_and_never_stops_it(host_options, launch):
    with ModelServer(launch, options=host_options()) as external:
        pid = info(external)["pid"]
        attached = ModelServer(base_url=external.base_url, served_name="tiny")
        with attached:
            assert not attached.owned
            assert attached.base_url == external.base_url
        attached.stop()
        assert pid_alive(pid)
        assert httpx.get(f"{external.base_url}/models").status_code == 200


def test_attach_mode_refuses_an_endpoint_serving_another_model(host_options, launch):
    with ModelServer(launch, options=host_options()) as external:
        with pytest.raises(ServingError, match="does not serve 'other'"):
            ModelServer(base_url=external.base_url, served_name="other").start()


def test_attach_mode_reports_an_endpoint_that_never_answers():
    with pytest.raises(ServingError, match="is not answering"):
        from workers.serving.readiness import check_attached

        check_attached("http://127.0.0.1:9/v1", served_name=None, deadline_s=0.5)


def test_two_replicas_run_on_two_slots_with_their_own_gpu_and_port(host_options, launch):
    slots = [GpuSlot(devices=(0,)), GpuSlot(devices=(1,))]
    with hosted_replicas(launch, slots, host_options()) as servers:
        seen = [info(server) for server in servers]
        assert [s["env"]["CUDA_VISIBLE_DEVICES"] for s in seen] == ["0", "1"]
        assert len({server.base_url for server in servers}) == 2
        pids = [s["pid"] for s in seen]
    assert not any(pid_alive(pid) for pid in pids)


def test_replicas_sharing_a_gpu_split_its_memory(host_options, launch):
    slots = [GpuSlot(devices=(0,), replica=r, share=2) for r in range(2)]
    with hosted_replicas(launch, slots, host_options()) as servers:
        fractions = [info(server)["conf"]["gpu_memory_utilization"] for server in servers]
    assert fractions == [0.45, 0.45]


def running_with_name(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if name.encode() in args and pid_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def test_if_one_replica_fails_the_others_are_stopped(host_options, run_dir):
    name = f"tp2-{run_dir.parent.name}"
    tp2 = LaunchSpec(model="org/m", served_name=name, tensor_parallel_size=2)
    slots = [GpuSlot(devices=(0, 1)), GpuSlot(devices=(2,))]
    with pytest.raises(ServingError, match="tensor parallel size 2 needs 2 GPUs"):
        with hosted_replicas(tp2, slots, host_options()):
            pass
    assert not list((run_dir / "slots").glob("*.json"))
    assert running_with_name(name) == []


WORKER = """
import sys, time
from pathlib import Path
from workers.gpus import GpuSlot
from workers.serving.host import HostOptions, ModelServer
from workers.serving.spec import LaunchSpec
opts = HostOptions(run_dir=Path(sys.argv[1]), launcher=(sys.executable, sys.argv[2]))
devices = tuple(int(d) for d in sys.argv[3].split(","))
server = ModelServer(LaunchSpec(model="m", served_name="m"), options=opts, slot=GpuSlot(devices))
server.start()
print(server.process.pid, flush=True)
time.sleep(600)
"""


def start_worker(run_dir, devices: str) -> tuple[subprocess.Popen, int]:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(run_dir), str(STANDIN), devices],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    return worker, int(worker.stdout.readline())


@pytest.mark.parametrize(
    ("orphan_gpus", "new_slot"),
    [("3", GpuSlot((3,))), ("0,1", GpuSlot((1,)))],
    ids=["same slot", "overlapping tensor-parallel slot"],
)
def test_a_server_left_by_a_killed_worker_is_reaped_when_its_gpus_are_used_again(
    host_options, launch, run_dir, orphan_gpus, new_slot
):
    worker, orphan = start_worker(run_dir, orphan_gpus)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert pid_alive(orphan)
    slot_name = "gpu" + orphan_gpus.replace(",", "-")
    record = json.loads((run_dir / "slots" / f"{slot_name}.json").read_text())
    assert record["pid"] == orphan and record["devices"] == orphan_gpus.split(",")
    with ModelServer(launch, options=host_options(), slot=new_slot) as server:
        assert not pid_alive(orphan)
        assert read_pidfile(run_dir / "slots" / f"{new_slot.name}.json").pid == server.process.pid
        assert not (run_dir / "slots" / f"{slot_name}.json").exists() or slot_name == new_slot.name


def test_a_slot_held_by_a_running_worker_is_refused_and_left_alone(host_options, launch, run_dir):
    worker, server_pid = start_worker(run_dir, "5")
    try:
        with pytest.raises(ServingError, match=r"GPU slot gpu5 is in use: worker pid \d+"):
            ModelServer(launch, options=host_options(), slot=GpuSlot((5,))).start()
        assert pid_alive(server_pid)
    finally:
        worker.terminate()
        worker.wait()
        # The worker's atexit handler does not run on SIGTERM: reap its server like a restart.
        with ModelServer(launch, options=host_options(), slot=GpuSlot((5,))):
            pass
    assert not pid_alive(server_pid)


def test_a_stored_model_starts_offline_from_the_store_path(
    host_options, farm_home, tmp_path, monkeypatch
):
    from farm.config import load_settings
    from farm.models.registry import ModelSpec
    from farm.models.store import ModelStore
    from tests.serving.test_store import make_model_dir
    from workers.serving.spec import launch_spec

    monkeypatch.setenv("STANDIN_REQUIRE_OFFLINE", "1")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    store = ModelStore.from_settings(settings)
    store.import_dir(make_model_dir(tmp_path / "src"), name="tiny")
    spec = ModelSpec(key="tiny", backend="vllm", served_name="tiny", store_name="tiny")
    launch = launch_spec(spec, settings, verify_store=True)
    with ModelServer(launch, options=host_options(), slot=GpuSlot((0,))) as server:
        seen = info(server)
    assert seen["conf"]["model"] == str(store.model_dir("tiny"))
    assert {k: seen["env"][k] for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")} == {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    assert seen["env"]["HF_DATASETS_OFFLINE"] == "1"


def test_the_stand_in_refuses_a_hub_id_when_offline(host_options, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    launch = LaunchSpec(model="org/not-local", served_name="x")
    with pytest.raises(ServingError, match="OfflineModeIsEnabled"):
        ModelServer(launch, options=host_options()).start()


def test_attach_mode_reports_a_server_that_wants_a_key_at_once():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from workers.serving.readiness import check_attached

    class Locked(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Locked)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(ServingError, match="wants an API key"):
            check_attached(f"http://127.0.0.1:{server.server_port}/v1", served_name="x")
        assert time.monotonic() - started < 5
    finally:
        server.shutdown()


def test_a_server_reporting_another_context_length_is_refused(host_options, monkeypatch):
    monkeypatch.setenv("STANDIN_REPORT_MAX_MODEL_LEN", "2048")
    launch = LaunchSpec(model="org/m", served_name="m", max_model_len=8192)
    with pytest.raises(ServingError, match="reports max_model_len 2048, expected 8192"):
        ModelServer(launch, options=host_options()).start()


def test_an_unknown_parser_name_is_reported_with_a_hint(host_options):
    launch = LaunchSpec(model="org/m", served_name="m", tool_call_parser="glm4_moe")
    with pytest.raises(ServingError) as caught:
        ModelServer(launch, options=host_options()).start()
    message = str(caught.value)
    assert "exited with status 2" in message and "(likely: an argument value" in message
    assert "invalid choice: 'glm4_moe'" in message


def test_an_api_key_in_extra_args_never_reaches_the_log_pidfile_or_error(
    host_options, run_dir, monkeypatch
):
    monkeypatch.setenv("STANDIN_CRASH", "1")
    launch = LaunchSpec(model="m", served_name="m", extra_args=("--api-key", "sk-secret-123"))
    with pytest.raises(ServingError) as caught:
        ModelServer(launch, options=host_options()).start()
    assert "sk-secret-123" not in str(caught.value) and "--api-key ***" in str(caught.value)
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert "sk-secret-123" not in path.read_text(errors="replace"), path
