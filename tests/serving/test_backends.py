"""The backend registries: one list each, lazy implementations, names known to every layer."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from farm import backends
from farm.backends import (
    backend_names,
    endpoint_backend_for,
    endpoint_backend_names,
    load_target,
    server_backend_info,
    server_backend_names,
)
from farm.cli.main import cli
from farm.config import load_settings
from farm.endpoints.client import Endpoint, RetryPolicy, make_endpoint
from farm.errors import ConfigError
from farm.models.registry import EndpointConfig, ModelSpec, lookup_model
from farm.resolve import resolve_model
from workers.serving.backend import ServerBackend, get_backend


def test_every_registered_implementation_loads_and_has_the_right_base_class():
    for name in endpoint_backend_names():
        entry = endpoint_backend_for(name)
        cls = load_target(entry.target, what=name)
        assert isinstance(cls, type) and issubclass(cls, Endpoint), name
    for name in server_backend_names():
        backend = get_backend(name)
        assert isinstance(backend, ServerBackend) and backend.name == name
        assert endpoint_backend_for(name).name == server_backend_info(name).protocol


def test_a_model_may_name_a_backend_of_either_kind_and_nothing_else():
    assert set(backend_names()) == set(endpoint_backend_names()) | set(server_backend_names())
    for name in backend_names():
        assert ModelSpec(key="m", backend=name).backend == name
    with pytest.raises(ValueError, match="unknown backend 'vlm': choose one of"):
        ModelSpec(key="m", backend="vlm")


def test_a_registry_file_naming_an_unknown_backend_is_a_one_line_error(farm_home):
    settings = load_settings()
    settings.resolved_models_file.parent.mkdir(parents=True, exist_ok=True)
    settings.resolved_models_file.write_text('[models.mine]\nbackend = "vlm"\n')
    with pytest.raises(ConfigError, match=r"model 'mine' .*backend.*unknown backend 'vlm'"):
        lookup_model(settings, "mine")


def test_backend_slash_model_names_choose_any_registered_backend(farm_home):
    settings = load_settings()
    for name in server_backend_names():
        spec = resolve_model(settings, f"{name}/org/model", endpoint="127.0.0.1:9", mode="fc")
        assert spec.backend == name and spec.request_model == "org/model"


def test_a_server_backend_is_talked_to_through_its_protocol_endpoint():
    spec = ModelSpec(key="m", backend="sglang")
    config = EndpointConfig(base_url="http://127.0.0.1:9/v1")
    endpoint = make_endpoint(config, spec, RetryPolicy())
    assert type(endpoint).__name__ == "HttpEndpoint"


def test_the_cli_offers_exactly_the_registered_server_backends():
    for command in (["worker", "--help"], ["models", "serve", "--help"]):
        out = CliRunner().invoke(cli, command, terminal_width=400).output
        choices = "|".join(server_backend_names())
        assert f"[{choices}]" in out, out


def test_a_backend_registered_twice_or_with_an_unknown_protocol_is_refused():
    with pytest.raises(ConfigError, match="registered twice"):
        backends.server_backend("vllm", "x:Y", "again")
    with pytest.raises(ConfigError, match="unknown protocol"):
        backends.server_backend("new-server", "x:Y", "s", protocol="grpc")
    assert "new-server" not in backend_names()


def test_a_new_server_backend_is_one_registration_plus_its_module(monkeypatch):
    entry = backends.ServerBackendInfo("standin-server", "workers.serving.vllm:VllmBackend", "t")
    monkeypatch.setitem(backends._SERVER_BACKENDS, "standin-server", entry)
    assert get_backend("standin-server").name == "standin-server"
    assert ModelSpec(key="m", backend="standin-server").backend == "standin-server"
    missing = backends.ServerBackendInfo("gone", "workers.serving.nothing:Backend", "t")
    monkeypatch.setitem(backends._SERVER_BACKENDS, "gone", missing)
    with pytest.raises(ConfigError, match="serving backend 'gone': cannot load"):
        get_backend("gone")


def test_an_endpoint_backend_with_a_missing_package_names_it(monkeypatch):
    entry = backends.EndpointBackendInfo(
        "needs-pkg", "farm.endpoints.client:HttpEndpoint", "t", requires=("no_such_pkg_xyz",)
    )
    monkeypatch.setitem(backends._ENDPOINT_BACKENDS, "needs-pkg", entry)
    spec = ModelSpec(key="m", backend="needs-pkg")
    config = EndpointConfig(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="needs the Python package 'no_such_pkg_xyz'"):
        make_endpoint(config, spec, RetryPolicy())


def test_the_registries_import_no_implementation_and_farm_never_imports_workers():
    code = textwrap.dedent(
        """
        import sys
        import farm.backends, farm.models.registry
        bad = [m for m in sys.modules if m.startswith("workers")
               or m in ("farm.endpoints.client", "farm.endpoints.fake")]
        assert not bad, bad
        import workers.serving.backend
        assert "workers.serving.vllm" not in sys.modules
        assert "workers.serving.sglang" not in sys.modules
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
