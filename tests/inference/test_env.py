"""Endpoint configuration from the environment, table-driven, as docs/inference.md documents."""

from __future__ import annotations

import pytest

from farm.config import load_settings
from farm.endpoints.env import (
    attach_url,
    completion_endpoint,
    embedding_endpoint,
    resolve_api_key,
)
from farm.errors import ConfigError
from farm.models.registry import EndpointConfig
from farm.resolve import resolve_model

# (environment, expected completion (url, key var), expected embedding (url, key var))
CASES = [
    ({}, None, None),
    (
        {"OPENAI_BASE_URL": "http://o:1/v1", "OPENAI_API_KEY": "ko"},
        ("http://o:1/v1", "OPENAI_API_KEY"),
        ("http://o:1/v1", "OPENAI_API_KEY"),
    ),
    (
        {"COMPLETION_BASE_URL": "c:2", "OPENAI_BASE_URL": "http://o:1", "OPENAI_API_KEY": "ko"},
        ("http://c:2/v1", "OPENAI_API_KEY"),
        ("http://o:1/v1", "OPENAI_API_KEY"),
    ),
    (
        {
            "COMPLETION_BASE_URL": "c:2",
            "COMPLETION_API_KEY": "kc",
            "EMBEDDING_BASE_URL": "e:3",
            "EMBEDDING_API_KEY": "ke",
            "OPENAI_BASE_URL": "o:1",
            "OPENAI_API_KEY": "ko",
        },
        ("http://c:2/v1", "COMPLETION_API_KEY"),
        ("http://e:3/v1", "EMBEDDING_API_KEY"),
    ),
    (
        {"EMBEDDING_BASE_URL": "e:3", "COMPLETION_API_KEY": "kc"},
        None,
        ("http://e:3/v1", None),
    ),
    (
        {"COMPLETION_BASE_URL": "  ", "OPENAI_BASE_URL": "o:1"},
        ("http://o:1/v1", None),
        ("http://o:1/v1", None),
    ),
]


@pytest.mark.parametrize(("env", "completion", "embedding"), CASES)
def test_endpoint_variables_fall_back_to_the_openai_ones(env, completion, embedding):
    got_c = completion_endpoint(env)
    got_e = embedding_endpoint(env)
    assert (None if got_c is None else (got_c.base_url, got_c.api_key_env)) == completion
    assert (None if got_e is None else (got_e.base_url, got_e.api_key_env)) == embedding


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8000/v1"),
        ({"VLLM_ENDPOINT": "gpu7"}, "http://gpu7:8000/v1"),
        ({"VLLM_PORT": "9001"}, "http://127.0.0.1:9001/v1"),
        ({"VLLM_ENDPOINT": "https://gpu7", "VLLM_PORT": "443"}, "https://gpu7:443/v1"),
        ({"VLLM_ENDPOINT": "gpu7:9000", "VLLM_PORT": "8001"}, "http://gpu7:9000/v1"),
        ({"VLLM_ENDPOINT": "http://gpu7:9000/v1"}, "http://gpu7:9000/v1"),
        ({"VLLM_ENDPOINT": "[::1]:9000"}, "http://[::1]:9000/v1"),
    ],
)
def test_the_attach_endpoint_defaults_to_localhost_8000(env, url):
    assert attach_url(env) == url


def test_a_bad_vllm_port_is_one_line():
    with pytest.raises(ConfigError, match="VLLM_PORT"):
        attach_url({"VLLM_PORT": "http"})


@pytest.mark.parametrize(
    ("endpoint", "env", "key"),
    [
        (
            EndpointConfig(base_url="h", api_key_env="MINE"),
            {"MINE": "k1", "OPENAI_API_KEY": "k2"},
            "k1",
        ),
        (EndpointConfig(base_url="h"), {"COMPLETION_API_KEY": "k3", "OPENAI_API_KEY": "k2"}, "k3"),
        (EndpointConfig(base_url="h"), {"OPENAI_API_KEY": "k2"}, "k2"),
        (EndpointConfig(base_url="h"), {}, None),
    ],
)
def test_the_key_comes_from_the_named_variable_then_the_fallbacks(endpoint, env, key):
    assert resolve_api_key(endpoint, "completion", env) == key


def test_a_named_key_variable_that_is_unset_is_an_error():
    with pytest.raises(ConfigError, match=r"\$MISSING"):
        resolve_api_key(EndpointConfig(base_url="h", api_key_env="MISSING"), "completion", {})


def test_the_command_line_beats_the_registry_which_beats_the_environment(farm_home, monkeypatch):
    monkeypatch.setenv("COMPLETION_BASE_URL", "http://env:1/v1")
    (farm_home).mkdir(parents=True, exist_ok=True)
    (farm_home / "models.toml").write_text(
        '[models.reg]\nendpoints = [{ base_url = "http://reg:2/v1" }]\n[models.bare]\nmode = "fc"\n'
    )
    settings = load_settings()
    assert resolve_model(settings, "reg").endpoints[0].base_url == "http://reg:2/v1"
    assert (
        resolve_model(settings, "reg", endpoint="cli:3").endpoints[0].base_url == "http://cli:3/v1"
    )
    assert resolve_model(settings, "bare").endpoints[0].base_url == "http://env:1/v1"
    monkeypatch.delenv("COMPLETION_BASE_URL")
    with pytest.raises(ConfigError, match="has no endpoint"):
        resolve_model(settings, "bare")
