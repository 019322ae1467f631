"""Server command lines built from the model presets, checked by the stand-in's vLLM parser."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

import pytest

from farm.config import load_settings
from farm.errors import ConfigError, ModelStoreError
from farm.models.families import VLLM_REASONING_PARSERS, VLLM_TOOL_PARSERS, preset_rows
from farm.models.registry import lookup_model, preset_names
from tests.serving.conftest import STANDIN
from workers.serving.backend import get_backend
from workers.serving.spec import OFFLINE_ENV, LaunchSpec, launch_spec

TEMPLATES = [
    "tool_chat_template_llama3.1_json.jinja",
    "tool_chat_template_llama3.2_json.jinja",
    "tool_chat_template_llama4_pythonic.jinja",
    "tool_chat_template_deepseekv3.jinja",
    "tool_chat_template_deepseekv31.jinja",
    "tool_chat_template_internlm2_tool.jinja",
    "tool_chat_template_xlam_llama.jinja",
]


def load_standin():
    loader = importlib.machinery.SourceFileLoader("standin_vllm", str(STANDIN))
    spec = importlib.util.spec_from_loader("standin_vllm", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


standin = load_standin()


@pytest.fixture
def examples(tmp_path, monkeypatch, farm_home):
    """A vLLM examples directory holding the templates the presets name."""
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in TEMPLATES:
        (folder / name).write_text("{{ messages }}")
    monkeypatch.setenv("FARM_VLLM_EXAMPLES_DIR", str(folder))
    return folder


SERVED = [n for n in preset_names() if lookup_model(load_settings(), n).backend == "vllm"]


def vllm_command(spec: LaunchSpec, *, launcher=None) -> list[str]:
    return get_backend("vllm").command(
        spec, nonce_name="farm-abc", host="127.0.0.1", port=8123, launcher=launcher
    )


@pytest.mark.parametrize("name", SERVED)
def test_every_served_preset_builds_a_command_line_vllm_accepts(name, examples):
    settings = load_settings()
    spec = lookup_model(settings, name)
    if spec.tool_call_parser:
        assert spec.tool_call_parser in VLLM_TOOL_PARSERS
    if spec.reasoning_parser:
        assert spec.reasoning_parser in VLLM_REASONING_PARSERS
    launch = launch_spec(spec, settings)
    cmd = vllm_command(launch, launcher=["python", "-m", "vllm.entrypoints.openai.api_server"])
    conf = standin.parse(cmd[3:])
    assert conf["model"] == spec.model_path
    assert conf["names"] == [spec.served_name, "farm-abc"]
    assert conf["tool_call_parser"] == spec.tool_call_parser
    assert conf["auto_tool_choice"] is (spec.tool_call_parser is not None)
    assert conf["tensor_parallel_size"] == spec.tensor_parallel_size
    assert conf["generation_config"] == "vllm"
    if spec.chat_template:
        assert conf["chat_template"] == str(examples / spec.chat_template)


def flags(cmd: list[str]) -> str:
    return " ".join(cmd)


def test_family_settings_reach_the_command_line(examples):
    settings = load_settings()

    def cmd(name: str) -> str:
        return flags(vllm_command(launch_spec(lookup_model(settings, name), settings)))

    assert "--tool-call-parser hermes --reasoning-parser qwen3" in cmd("qwen3-8b")
    assert "--tool-call-parser hermes" in cmd("qwen2.5-7b-instruct")
    llama = cmd("llama-3.1-8b-instruct")
    assert "--tool-call-parser llama3_json --chat-template " in llama
    assert llama.split("--chat-template ")[1].split()[0].endswith("llama3.1_json.jinja")
    assert "--tool-call-parser mistral" in cmd("mistral-7b-instruct-v0.3")
    assert cmd("mistral-7b-instruct-v0.3").endswith("--tokenizer-mode mistral")
    glm = cmd("glm-4.5")
    assert "--tool-call-parser glm45 --reasoning-parser glm45" in glm
    assert "--tensor-parallel-size 8" in glm
    assert "--tool-call-parser deepseek_v3 --chat-template" in cmd("deepseek-v3-0324")


def test_glm4_9b_chat_runs_in_fc_mode_parsed_by_the_client_without_a_parser(examples):
    settings = load_settings()
    spec = lookup_model(settings, "glm-4-9b-chat")
    assert spec.mode == "glm4" and spec.tool_call_parser is None  # FC, parsed by the client
    assert spec.tool_choice == "none"
    line = flags(vllm_command(launch_spec(spec, settings)))
    assert "--enable-auto-tool-choice" not in line and "--tool-call-parser" not in line
    assert "--trust-remote-code" in line


def test_presets_listing_marks_every_served_parser_as_known(examples):
    rows = {row["name"]: row for row in preset_rows(load_settings())}
    assert all(row["parser_known"] is not False for row in rows.values())
    assert rows["qwen3-8b"]["tool_call_parser"] == "hermes"
    assert rows["simulator"]["parser_known"] is None


def test_vllm_serve_form_takes_the_model_as_a_positional_argument():
    launch = LaunchSpec(model="/models/x", served_name="x")
    cmd = vllm_command(launch, launcher=["vllm", "serve"])
    assert cmd[:3] == ["vllm", "serve", "/models/x"] and "--model" not in cmd
    assert standin.parse(cmd[1:])["form"] == "serve"
    default = vllm_command(launch)
    assert default[:4] == [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model"]


def test_memory_length_trust_and_extra_args_are_passed_through():
    launch = LaunchSpec(
        model="m",
        served_name="m",
        max_model_len=16384,
        gpu_memory_utilization=0.85,
        trust_remote_code=True,
        extra_args=("--max-num-seqs", "256", "--generation-config", "auto"),
    )
    line = flags(vllm_command(launch))
    assert "--max-model-len 16384" in line and "--gpu-memory-utilization 0.85" in line
    assert "--trust-remote-code" in line and line.endswith(
        "--max-num-seqs 256 --generation-config auto"
    )
    assert line.count("--generation-config") == 1


def test_extra_args_may_not_override_what_the_farm_sets():
    launch = LaunchSpec(model="m", served_name="m", extra_args=("--port=9000",))
    with pytest.raises(ConfigError, match="extra_args may not set --port"):
        vllm_command(launch)


def test_sglang_gets_its_own_flag_names_and_parser_names():
    launch = LaunchSpec(
        model="/m",
        served_name="m",
        tool_call_parser="llama3_json",
        reasoning_parser="deepseek_r1",
        max_model_len=8192,
    )
    cmd = get_backend("sglang").command(launch, nonce_name="farm-x", host="h", port=1)
    conf = standin.parse(cmd[3:])
    assert conf["backend"] == "sglang" and conf["tool_call_parser"] == "llama3"
    assert conf["max_model_len"] == 8192 and conf["names"] == ["m"]
    assert conf["reasoning_parser"] == "deepseek-r1"
    with pytest.raises(ConfigError, match="unknown serving backend"):
        get_backend("tgi")


def test_the_environment_pins_gpus_and_sets_offline_variables_for_stored_models():
    backend = get_backend("vllm")
    stored = LaunchSpec(model="/store/m", served_name="m", offline=True)
    env = backend.environment(stored, devices=(2, 3), ready_timeout=900)
    assert env["CUDA_VISIBLE_DEVICES"] == "2,3" and env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert all(env[k] == v for k, v in OFFLINE_ENV.items())
    assert env["VLLM_ENGINE_READY_TIMEOUT_S"] == "900"
    online = backend.environment(
        LaunchSpec(model="org/m", served_name="m"), devices=None, ready_timeout=5
    )
    assert "HF_HUB_OFFLINE" not in online and "CUDA_VISIBLE_DEVICES" not in online


def test_a_chat_template_that_cannot_be_found_is_a_clear_error(farm_home, monkeypatch, tmp_path):
    monkeypatch.setenv("FARM_VLLM_EXAMPLES_DIR", str(tmp_path / "none"))
    settings = load_settings()
    with pytest.raises(ConfigError, match="chat template 'tool_chat_template_llama3.1_json.jinja'"):
        launch_spec(lookup_model(settings, "llama-3.1-8b-instruct"), settings)


def test_a_stored_model_is_served_from_the_store_and_a_missing_file_fails(farm_home, tmp_path):
    from farm.models.store import ModelStore
    from tests.serving.test_store import make_model_dir

    settings = load_settings()
    store = ModelStore.from_settings(settings)
    store.import_dir(make_model_dir(tmp_path / "src"), name="Qwen--Qwen3-8B")
    spec = lookup_model(settings, "qwen3-8b")
    launch = launch_spec(spec, settings)
    assert launch.offline and launch.model == str(store.model_dir("Qwen--Qwen3-8B"))
    (store.model_dir("Qwen--Qwen3-8B") / "config.json").unlink()
    with pytest.raises(ModelStoreError, match=r"missing: config.json"):
        launch_spec(spec, settings)
    other = spec.model_copy(update={"store_name": "absent"})
    with pytest.raises(ModelStoreError, match="'absent' is not in the store"):
        launch_spec(other, settings)
