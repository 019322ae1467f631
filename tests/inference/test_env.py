"""Endpoint configuration from the environment, table-driven, as docs/inference.md documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.config import Settings, load_settings
from farm.endpoints.env import attach_url, env_endpoint, resolve_api_key
from farm.errors import ConfigError
from farm.models.registry import EndpointConfig
from farm.resolve import resolve_model


def settings_of(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


# (environment, expected completion (url, key), expected embedding (url, key))
CASES = [
    ({}, None, None),
    (
        {"OPENAI_BASE_URL": "http://o:1/v1", "OPENAI_API_KEY": "ko"},
        ("http://o:1/v1", "ko"),
        ("http://o:1/v1", "ko"),
    ),
    # OPENAI_API_KEY belongs to OPENAI_BASE_URL only, never to COMPLETION_BASE_URL.
    (
        {"COMPLETION_BASE_URL": "c:2", "OPENAI_BASE_URL": "http://o:1", "OPENAI_API_KEY": "ko"},
        ("http://c:2/v1", None),
        ("http://o:1/v1", "ko"),
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
        ("http://c:2/v1", "kc"),
        ("http://e:3/v1", "ke"),
    ),
    # A specific key without its URL goes to the URL that serves the purpose.
    (
        {"COMPLETION_API_KEY": "kc", "OPENAI_BASE_URL": "o:1", "OPENAI_API_KEY": "ko"},
        ("http://o:1/v1", "kc"),
        ("http://o:1/v1", "ko"),
    ),
    ({"EMBEDDING_BASE_URL": "e:3", "COMPLETION_API_KEY": "kc"}, None, ("http://e:3/v1", None)),
    (
        {"COMPLETION_BASE_URL": "  ", "OPENAI_BASE_URL": "o:1"},
        ("http://o:1/v1", None),
        ("http://o:1/v1", None),
    ),
    # The same server named twice: the general key goes with it.
    (
        {"COMPLETION_BASE_URL": "http://o:1/v1/", "OPENAI_BASE_URL": "o:1", "OPENAI_API_KEY": "k"},
        ("http://o:1/v1", "k"),
        ("http://o:1/v1", "k"),
    ),
]


@pytest.mark.parametrize(("env", "completion", "embedding"), CASES)
def test_endpoints_fall_back_to_openai_and_keys_stay_with_their_url(
    farm_home, monkeypatch, env, completion, embedding
):
    settings = settings_of(monkeypatch, env)
    for purpose, expected in (("completion", completion), ("embedding", embedding)):
        got = env_endpoint(purpose, settings)
        if expected is None:
            assert got is None
            continue
        key = resolve_api_key(EndpointConfig(base_url=got.base_url), purpose, settings)
        assert (got.base_url, key) == expected


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
def test_the_attach_endpoint_defaults_to_localhost_8000(farm_home, monkeypatch, env, url):
    assert attach_url(settings_of(monkeypatch, env)) == url


def test_a_bad_vllm_port_is_one_line(farm_home, monkeypatch):
    with pytest.raises(ConfigError, match="VLLM_PORT"):
        attach_url(settings_of(monkeypatch, {"VLLM_PORT": "http"}))


@pytest.mark.parametrize(
    ("endpoint", "env", "key"),
    [
        (
            EndpointConfig(base_url="http://h/v1", api_key_env="MINE"),
            {"MINE": "k1", "OPENAI_API_KEY": "k2"},
            "k1",
        ),
        # An endpoint nobody paired a key with gets none, whatever the shell holds.
        (
            EndpointConfig(base_url="http://h/v1"),
            {"COMPLETION_API_KEY": "k3", "OPENAI_API_KEY": "k2"},
            None,
        ),
        (EndpointConfig(base_url="http://h/v1"), {"OPENAI_API_KEY": "k2"}, None),
        (
            EndpointConfig(base_url="http://h/v1"),
            {"OPENAI_BASE_URL": "http://other/v1", "OPENAI_API_KEY": "k2"},
            None,
        ),
        (
            EndpointConfig(base_url="http://h/v1"),
            {"OPENAI_BASE_URL": "h", "OPENAI_API_KEY": "k2"},
            "k2",
        ),
        (EndpointConfig(base_url="http://h/v1"), {}, None),
    ],
)
def test_the_key_comes_from_the_named_variable_or_the_url_it_is_paired_with(
    farm_home, monkeypatch, endpoint, env, key
):
    assert resolve_api_key(endpoint, "completion", settings_of(monkeypatch, env)) == key


def test_a_named_key_variable_may_live_in_the_dotenv_file(farm_home, monkeypatch):
    Path(".env").write_text("MINE=from-dotenv\n")
    endpoint = EndpointConfig(base_url="http://h/v1", api_key_env="MINE")
    assert resolve_api_key(endpoint, "completion", load_settings()) == "from-dotenv"
    monkeypatch.setenv("MINE", "from-env")
    assert resolve_api_key(endpoint, "completion", load_settings()) == "from-env"


def test_a_named_key_variable_that_is_unset_is_an_error(farm_home):
    with pytest.raises(ConfigError, match=r"\$MISSING"):
        resolve_api_key(
            EndpointConfig(base_url="http://h/v1", api_key_env="MISSING"),
            "completion",
            load_settings(),
        )


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
        resolve_model(load_settings(), "bare")
