"""The llama.cpp backend: GGUF models from the store, hosted on CPU or attached, via a stand-in."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from farm.config import load_settings
from farm.errors import ConfigError, ModelStoreError, ServingError
from farm.models.gguf import check_single_file, write_gguf
from farm.models.registry import lookup_model
from farm.models.store import ModelStore
from tests.conftest import run_farm
from tests.serving.conftest import pid_alive
from workers.endpoint import EndpointOptions, open_endpoint
from workers.gpus import parse_gpus, plan_slots
from workers.serving.backend import get_backend
from workers.serving.hosting import hosted_model
from workers.serving.spec import LaunchSpec

LLAMA_STANDIN = Path(__file__).resolve().parent / "standin" / "llama-server"

MODELS_TOML = """
[models.tiny-gguf]
backend = "llama.cpp"
mode = "fc"
served_name = "tiny-gguf"
store_name = "tiny-gguf"
max_model_len = 2048
max_num_seqs = 2
"""


def load_standin():
    loader = importlib.machinery.SourceFileLoader("standin_llama", str(LLAMA_STANDIN))
    spec = importlib.util.spec_from_loader("standin_llama", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def tiny_gguf(path: Path, **extra: str | int) -> Path:
    """A small GGUF file with a real header (architecture, name, chat template)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, str | int] = {
        "general.architecture": "qwen2",
        "general.name": "Tiny",
        "qwen2.context_length": 32768,
        "tokenizer.chat_template": "{{ messages }}",
        **extra,
    }
    return write_gguf(path, meta, tensors=3)


@pytest.fixture
def gguf_env(farm_home, monkeypatch, tmp_path):
    """FARM_HOME with GGUF model 'tiny-gguf' in the store and the llama-server stand-in."""
    farm_home.mkdir(parents=True, exist_ok=True)
    (farm_home / "models.toml").write_text(MODELS_TOML)
    store = ModelStore.from_settings(load_settings())
    store.import_gguf(tiny_gguf(tmp_path / "src" / "tiny-q4_k_m.gguf"), name="tiny-gguf")
    monkeypatch.setenv("FARM_SERVER_COMMAND", f"{sys.executable} {LLAMA_STANDIN}")
    monkeypatch.setenv("FARM_SERVER_READY_TIMEOUT", "20")
    monkeypatch.setenv("FARM_SERVER_STOP_GRACE", "3")
    return store


def info(url: str) -> dict:
    return httpx.get(url.removesuffix("/v1") + "/standin/info", timeout=5).json()


def test_the_command_line_is_llama_servers_with_slots_and_a_whole_context_per_slot(tmp_path):
    template = tmp_path / "tools.jinja"
    template.write_text("{{ messages }}")
    launch = LaunchSpec(
        model="/store/m.gguf",
        served_name="m",
        chat_template=str(template),
        max_model_len=8192,
        max_num_seqs=3,
        tool_call_parser="hermes",
        tensor_parallel_size=2,
    )
    cmd = get_backend("llama.cpp").command(
        launch, nonce_name="farm-n1", host="127.0.0.1", port=8123, launcher=["llama-server"]
    )
    args = load_standin().parse(cmd[1:])
    assert args.model == "/store/m.gguf" and args.alias == "m,farm-n1" and args.jinja
    assert args.chat_template_file == str(template)
    assert args.parallel == 3 and args.ctx_size == 3 * 8192
    assert "--tool-call-parser" not in cmd and "--tensor-parallel-size" not in cmd
    default = get_backend("llama.cpp").command(
        LaunchSpec(model="/m.gguf", served_name="m"),
        nonce_name="n",
        host="h",
        port=1,
        launcher=["llama-server"],
    )
    assert default[default.index("--parallel") + 1] == "4" and "--ctx-size" not in default
    with pytest.raises(ConfigError, match="extra_args may not set --alias"):
        get_backend("llama.cpp").command(
            LaunchSpec(model="/m.gguf", served_name="m", extra_args=("--alias", "x")),
            nonce_name="n",
            host="h",
            port=1,
            launcher=["llama-server"],
        )


def test_without_llama_server_on_path_hosting_names_what_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ServingError, match="llama-server is not on PATH"):
        get_backend("llama.cpp").launcher(None)


def test_gpus_none_is_one_cpu_slot_that_sees_no_gpu():
    assert parse_gpus("none") == []
    (slot,) = plan_slots([], tensor_parallel=1)
    assert slot.devices == () and slot.name == "cpu"


def test_a_stored_gguf_is_hosted_on_cpu_serves_a_bfcl_run_and_is_stopped(
    gguf_env, tmp_path, monkeypatch
):
    from sqlalchemy import select

    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.db.models import Result
    from farm.simulator.server import cases_to_json
    from farm.suites.store import load_cases
    from tests.fixtures.minisuite import load_mini_suite

    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=["simple_python"])
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(cases_to_json(cases))
    spec = lookup_model(settings, "tiny-gguf")
    monkeypatch.setenv("STANDIN_SIMULATOR_CASES", str(cases_file))
    with hosted_model(settings, spec, gpus="none") as (server,):
        url = server.base_url
        assert url is not None and server.slot_name == "cpu"
        seen = info(url)
        argv = seen["argv"]
        assert argv[argv.index("--model") + 1] == str(gguf_env.gguf_file("tiny-gguf"))
        assert argv[argv.index("--alias") + 1] == f"tiny-gguf,{server.nonce_name}"
        assert "--jinja" in argv and argv[argv.index("--ctx-size") + 1] == "4096"
        assert seen["cuda_visible_devices"] == "" and seen["nonce"] == server.nonce
        done = run_farm(
            "run",
            "--model",
            "tiny-gguf",
            "--endpoint",
            url,
            "--suite",
            f"bfcl@{suite.version}",
            "--categories",
            "simple_python",
            "--json",
        )
        pid = seen["pid"]
    assert not pid_alive(pid)
    assert done.returncode == 0, done.stderr
    run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        rows = session.scalars(select(Result).where(Result.run_id == run_id)).all()
        assert len(rows) == len(cases) > 0
        assert all(row.valid and row.inference_error is None for row in rows)


def test_attach_to_a_running_llama_server_checks_its_aliases(gguf_env, monkeypatch):
    settings = load_settings()
    spec = lookup_model(settings, "tiny-gguf")
    with hosted_model(settings, spec, gpus="none") as (server,):
        assert server.base_url is not None
        port = server.base_url.rsplit(":", 1)[1].split("/")[0]
        monkeypatch.setenv("VLLM_PORT", port)
        settings = load_settings()  # settings are read once, like a command's
        with open_endpoint(settings, spec, EndpointOptions(attach=True)) as urls:
            assert urls == [server.base_url]
            assert urls.verify is not None
            urls.verify()
        other = spec.model_copy(update={"served_name": "another"})
        with pytest.raises(ServingError, match="does not serve 'another'"):
            with open_endpoint(settings, other, EndpointOptions(attach=True)):
                pass
        assert server.process is not None and server.process.alive()


def test_a_server_that_dies_mid_run_is_reported_with_its_log(gguf_env, monkeypatch):
    monkeypatch.setenv("STANDIN_EXIT_AFTER", "0.5")
    settings = load_settings()
    spec = lookup_model(settings, "tiny-gguf")
    with open_endpoint(settings, spec, EndpointOptions(gpus="none")) as urls:
        assert urls.alive is not None
        deadline = time.monotonic() + 10
        with pytest.raises(ServingError, match=r"tiny-gguf server on cpu exited with status 3"):
            while time.monotonic() < deadline:
                urls.alive()
                time.sleep(0.1)


def test_a_gguf_the_server_cannot_load_fails_with_the_command_log_and_a_hint(gguf_env, monkeypatch):
    monkeypatch.setenv("STANDIN_CRASH", "1")
    settings = load_settings()
    spec = lookup_model(settings, "tiny-gguf")
    with pytest.raises(ServingError) as caught:
        with hosted_model(settings, spec, gpus="none"):
            pass
    message = str(caught.value)
    assert "exited with status 1 before it was ready" in message
    assert "likely: llama.cpp could not load the GGUF file" in message
    assert "--model" in message and "failed to load model" in message


def test_bad_gguf_files_are_refused_at_import_and_before_launch(gguf_env, tmp_path, farm_home):
    store = gguf_env
    not_gguf = tmp_path / "weights.gguf"
    not_gguf.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelStoreError, match="is not a GGUF file"):
        store.import_gguf(not_gguf, name="bad")
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(tiny_gguf(tmp_path / "whole.gguf").read_bytes()[:30])
    with pytest.raises(ModelStoreError, match="damaged GGUF file"):
        store.import_gguf(truncated, name="bad")
    part = tiny_gguf(tmp_path / "m-00001-of-00002.gguf", **{"split.count": 2})
    with pytest.raises(ModelStoreError, match="split into 2 files"):
        store.import_gguf(part, name="bad")
    assert "bad" not in [m.name for m in store.list()]
    settings = load_settings()
    spec = lookup_model(settings, "tiny-gguf")
    local = spec.model_copy(update={"store_name": None, "model_path": str(not_gguf)})
    with pytest.raises(ModelStoreError, match="is not a GGUF file"):
        with hosted_model(settings, local, gpus="none"):
            pass
    stored = store.gguf_file("tiny-gguf")
    stored.write_bytes(stored.read_bytes()[:-8])
    with pytest.raises(ModelStoreError, match="cannot serve 'tiny-gguf' from the store"):
        with hosted_model(settings, spec, gpus="none"):
            pass
    assert not list((farm_home / "run" / "serving" / "logs").glob("*.log"))


def test_a_gguf_model_needs_a_gguf_server_and_the_other_way_round(gguf_env, tmp_path):
    from tests.serving.test_store import make_model_dir

    settings = load_settings()
    spec = lookup_model(settings, "tiny-gguf")
    with pytest.raises(ConfigError, match="host it with --backend llama.cpp"):
        with hosted_model(settings, spec, gpus="none", backend="vllm"):
            pass
    gguf_env.import_dir(make_model_dir(tmp_path / "hf"), name="hf-model")
    hf = spec.model_copy(update={"store_name": "hf-model"})
    with pytest.raises(ConfigError, match="serves one GGUF file"):
        with hosted_model(settings, hf, gpus="none"):
            pass


def test_a_gguf_model_round_trips_through_the_store_cli(gguf_env, tmp_path):
    source = tiny_gguf(tmp_path / "cli" / "model.gguf")
    done = run_farm("models", "import", str(source), "--name", "cli-gguf")
    assert done.returncode == 0, done.stderr
    assert "imported cli-gguf: 1 files" in done.stdout and "GGUF" in done.stdout
    rows = json.loads(run_farm("models", "list", "--json").stdout.splitlines()[-1])
    assert {r["name"]: r["format"] for r in rows} == {"cli-gguf": "gguf", "tiny-gguf": "gguf"}
    pack = tmp_path / "carry" / "cli-gguf.tar"
    assert run_farm("models", "pack", "cli-gguf", str(pack)).returncode == 0
    assert run_farm("models", "remove", "cli-gguf").returncode == 0
    unpacked = run_farm("models", "unpack", str(pack))
    assert unpacked.returncode == 0, unpacked.stderr
    assert gguf_env.manifest("cli-gguf").format == "gguf"
    assert check_single_file(gguf_env.gguf_file("cli-gguf")).architecture == "qwen2"
    assert "1 files verified" in run_farm("models", "verify", "cli-gguf").stdout
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"nope")
    refused = run_farm("models", "import", str(bad), "--name", "bad")
    assert refused.returncode == 1 and "is not a GGUF file" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr


def _kv_string(key: str, value: str) -> bytes:
    import struct

    k, v = key.encode(), value.encode()
    return struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(v)) + v


def test_the_gguf_header_reader_skips_arrays_and_refuses_hostile_counts(tmp_path):
    import struct

    vocab = [b"<s>", b"hello", "é".encode()]
    array = struct.pack("<Q", 15) + b"tokenizer.words" + struct.pack("<IIQ", 9, 8, len(vocab))
    array += b"".join(struct.pack("<Q", len(w)) + w for w in vocab)
    scores = struct.pack("<Q", 16) + b"tokenizer.scores" + struct.pack("<IIQ", 9, 6, 3)
    scores += struct.pack("<3f", 0.5, 1.5, 2.5)
    ratio = struct.pack("<Q", 5) + b"ratio" + struct.pack("<Id", 12, 0.25)
    body = array + scores + ratio + _kv_string("general.architecture", "llama")
    good = tmp_path / "arrays.gguf"
    infos = b"".join(  # two F32 vectors of 4 elements, data at offsets 0 and 16
        struct.pack("<Q", 2) + name + struct.pack("<IQIQ", 1, 4, 0, offset)
        for name, offset in ((b"t0", 0), (b"t1", 16))
    )
    head = b"GGUF" + struct.pack("<IQQ", 3, 2, 4) + body + infos
    head += bytes(-len(head) % 32)
    good.write_bytes(head + bytes(32))
    header = check_single_file(good)
    assert header.architecture == "llama" and header.metadata["ratio"] == 0.25
    assert "tokenizer.words" not in header.metadata and not header.has_chat_template
    huge = tmp_path / "huge.gguf"
    huge.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1, 2**62) + body)
    with pytest.raises(ModelStoreError, match="damaged GGUF file: implausible count"):
        check_single_file(huge)
    old = tmp_path / "v1.gguf"
    old.write_bytes(b"GGUF" + struct.pack("<IQQ", 1, 1, 0))
    with pytest.raises(ModelStoreError, match="GGUF version 1 is not supported"):
        check_single_file(old)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    with pytest.raises(ModelStoreError, match="holds no tensors"):
        check_single_file(empty)
    bad_type = tmp_path / "type.gguf"
    bad_type.write_bytes(
        b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 99)
    )
    with pytest.raises(ModelStoreError, match="unknown metadata value type 99"):
        check_single_file(bad_type)
    deep = tmp_path / "deep.gguf"
    nested = struct.pack("<Q", 1) + b"k" + struct.pack("<I", 9) + struct.pack("<IQ", 9, 1) * 5000
    deep.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + nested)
    with pytest.raises(ModelStoreError, match="arrays nested deeper than 4"):
        check_single_file(deep)


def test_a_gguf_file_cut_inside_its_tensor_data_is_refused(tmp_path, farm_home):
    """A whole header with too little data (an interrupted download) is not a model."""
    whole = write_gguf(tmp_path / "whole.gguf", {"general.architecture": "qwen2"}, tensors=3)
    assert check_single_file(whole).required_size == whole.stat().st_size
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole.read_bytes()[:-1])
    with pytest.raises(ModelStoreError, match=r"truncated GGUF file: .* bytes of the"):
        check_single_file(cut)
    proc = run_farm("models", "import", str(cut), "--name", "cut")
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "truncated GGUF file" in proc.stderr, proc.stderr
