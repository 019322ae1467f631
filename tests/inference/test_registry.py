from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from farm.config import load_settings
from farm.errors import ConfigError
from farm.models.registry import (
    EndpointConfig,
    ModelSpec,
    list_models,
    lookup_model,
    normalise_base_url,
    preset,
    preset_names,
)
from farm.resolve import resolve_model


def write_registry(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "models.toml").write_text(text, encoding="utf-8")


def test_presets_include_the_simulator_and_the_fake_oracle(farm_home):
    names = preset_names()
    assert {"simulator", "simulator-prompt", "fake/oracle", "fake/oracle-prompt"} <= set(names)
    spec = lookup_model(load_settings(), "fake/oracle")
    assert spec.backend == "fake" and spec.mode == "fc"
    assert spec.generation == {"temperature": 0.001}


def test_registering_a_preset_name_twice_is_an_error(farm_home):
    preset_names()
    with pytest.raises(ConfigError, match="twice"):
        preset("simulator")(lambda: ModelSpec(key="simulator"))


def test_a_models_file_entry_overrides_preset_fields_and_adds_models(farm_home):
    write_registry(
        farm_home,
        """
[models."simulator"]
max_concurrency = 7

[models."acme-large"]
backend = "openai-compatible"
mode = "prompt"
served_name = "acme/large-v2"
endpoints = [{ base_url = "http://10.1.2.3:9000/v1", api_key_env = "ACME_KEY" }]
""",
    )
    settings = load_settings()
    assert lookup_model(settings, "simulator").max_concurrency == 7
    acme = lookup_model(settings, "acme-large")
    assert acme.mode == "prompt" and acme.request_model == "acme/large-v2"
    assert acme.endpoints[0].api_key_env == "ACME_KEY"
    assert "acme-large" in [m.key for m in list_models(settings)]


def test_a_key_written_into_the_models_file_is_refused(farm_home):
    write_registry(farm_home, '[models.x]\nendpoints = [{ base_url = "h:1" }]\napi_key = "sk-1"\n')
    with pytest.raises(ConfigError, match="api_key_env"):
        lookup_model(load_settings(), "x")


def test_a_malformed_models_file_gives_one_line(farm_home):
    write_registry(farm_home, "[models.x\n")
    with pytest.raises(ConfigError, match="cannot read model registry"):
        lookup_model(load_settings(), "x")
    write_registry(farm_home, '[models.x]\nmode = "chat"\n')
    with pytest.raises(ConfigError, match="model 'x'.*mode"):
        lookup_model(load_settings(), "x")


def test_an_unknown_model_needs_endpoint_and_mode(farm_home):
    with pytest.raises(ConfigError, match="unknown model 'nobody'"):
        resolve_model(load_settings(), "nobody", endpoint="localhost:1234")
    spec = resolve_model(load_settings(), "nobody", endpoint="localhost:1234", mode="prompt")
    assert spec.backend == "openai-compatible" and spec.served_name == "nobody"
    assert spec.endpoints[0].base_url == "http://localhost:1234/v1"
    assert spec.mode == "prompt" and not spec.dots_replaced


def test_a_backend_prefix_chooses_the_backend(farm_home):
    spec = resolve_model(
        load_settings(), "vllm/Qwen/Qwen3-8B", endpoint="h:1,h:2", mode="fc", api_key_env="K"
    )
    assert spec.backend == "vllm" and spec.request_model == "Qwen/Qwen3-8B"
    assert [e.base_url for e in spec.endpoints] == ["http://h:1/v1", "http://h:2/v1"]
    assert all(e.api_key_env == "K" for e in spec.endpoints)
    assert spec.dots_replaced


def test_a_mode_override_relabels_bfcls_mode_suffix(farm_home):
    settings = load_settings()
    assert resolve_model(settings, "simulator").display_name == "Simulator (FC)"
    prompt = resolve_model(settings, "simulator", mode="prompt")
    assert prompt.mode == "prompt" and prompt.display_name == "Simulator (Prompt)"
    back = resolve_model(settings, "simulator-prompt", mode="fc")
    assert back.display_name == "Simulator (FC)"
    family = resolve_model(settings, "simulator", mode="hermes")
    assert family.display_name == "Simulator (FC)"
    assert resolve_model(settings, "simulator", mode="fc").display_name == "Simulator (FC)"


def test_a_bad_mode_is_refused(farm_home):
    with pytest.raises(ConfigError, match="unknown mode"):
        resolve_model(load_settings(), "simulator", mode="chat")


def test_a_secret_key_never_appears_in_a_dump_or_repr():
    endpoint = EndpointConfig(base_url="http://h/v1", api_key=SecretStr("sk-secret-123"))
    spec = ModelSpec(key="m", endpoints=[endpoint])
    assert "sk-secret-123" not in spec.model_dump_json()
    assert "sk-secret-123" not in repr(spec) and "sk-secret-123" not in str(spec.model_dump())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8000", "http://localhost:8000/v1"),
        ("http://h:1/v1/", "http://h:1/v1"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        ("http://h:1", "http://h:1/v1"),
    ],
)
def test_base_urls_are_normalised(given, expected):
    assert normalise_base_url(given) == expected


def test_a_non_http_url_is_refused():
    with pytest.raises(ConfigError, match="only http"):
        normalise_base_url("ftp://h/v1")
