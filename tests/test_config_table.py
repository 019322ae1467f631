"""Every variable of the README's configuration table, set in the environment, in ``.env`` and
by its flag, as seen by the code that uses it.

The table is parsed from README.md, so a new row is tested as soon as it is documented: a
variable with a probe below is checked through its consumer; any other must be a field of
:class:`farm.config.Settings` (checked by value); a variable with neither fails the test.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from farm.broker import celery_config, transport_options
from farm.cli.context import CliContext
from farm.cli.main import cli
from farm.cli.options import retrieval_run_options
from farm.config import Settings, load_settings
from farm.endpoints.embeddings import EmbeddingClient
from farm.endpoints.env import resolve_api_key
from farm.endpoints.pool import EndpointPool
from farm.resolve import resolve_model
from farm.suites.trust import known_digests, source_digest, trusted_digests
from workers.endpoint import EndpointOptions, attach_endpoint
from workers.serving.hosting import host_options, serving_settings
from workers.serving.spec import resolve_chat_template

README = Path(__file__).resolve().parents[1] / "README.md"
#: Flags of the root command, which every command shares.
ROOT_FLAGS = ("--home", "--database-url", "--broker-url")


def table_rows() -> list[tuple[list[str], str | None]]:
    """(variables, flag) of each row of the README's configuration table."""
    text = README.read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        names = [n for n in re.findall(r"`([^`]+)`", first) if re.fullmatch(r"[A-Z][A-Z0-9_]+", n)]
        flag = re.search(r"`(--[a-z-]+)`", first)
        rows.append((names, flag.group(1) if flag else None))
    return rows


VARIABLES = [(name, flag) for names, flag in table_rows() for name in names]


@dataclass(frozen=True)
class Probe:
    """Two values of a variable, how its consumer sees it, and what that should be.

    ``values`` may hold ``{tmp}``, replaced by a scratch directory. ``companions`` are set in
    the process environment for every source (a key needs its URL).
    """

    values: tuple[str, str]
    see: Callable[[Settings, Path], Any]
    expect: Callable[[str, Path], Any]
    companions: tuple[tuple[str, str], ...] = ()
    #: For a subcommand's flag: what its command passes on, given settings and the flag.
    flag: Callable[[Settings, str], Any] | None = None


def _key(purpose: str) -> Callable[[Settings, Path], Any]:
    def see(settings: Settings, tmp: Path) -> Any:
        if purpose == "embedding":
            endpoint = EmbeddingClient.from_env("embed", settings=settings).endpoint
        else:
            endpoint = resolve_model(settings, "bare").endpoints[0]
        return resolve_api_key(endpoint, purpose, settings)  # type: ignore[arg-type]

    return see


def _template(settings: Settings, tmp: Path) -> Any:
    return resolve_chat_template("probe.jinja", None, settings)


def _same(value: str, tmp: Path) -> Any:
    return value


def _url(value: str, tmp: Path) -> Any:
    return value.rstrip("/") if value.endswith("/v1") else f"{value}/v1"


PROBES: dict[str, Probe] = {
    "FARM_HOME": Probe(
        ("{tmp}/h1", "{tmp}/h2"),
        lambda s, t: s.resolved_database_url,
        lambda v, t: f"sqlite:///{v}/farm.db",
    ),
    "FARM_DATABASE_URL": Probe(
        ("sqlite:///{tmp}/a.db", "sqlite:///{tmp}/b.db"),
        lambda s, t: s.resolved_database_url,
        _same,
    ),
    "FARM_BROKER_URL": Probe(
        ("redis://h1:6379/1", "redis://h2:6379/2"),
        lambda s, t: celery_config(s)["broker_url"],
        _same,
    ),
    "FARM_BROKER_KEY_PREFIX": Probe(
        ("farm-a:", "farm-b:"),
        lambda s, t: transport_options(s)["global_keyprefix"],
        _same,
    ),
    "FARM_VISIBILITY_TIMEOUT": Probe(
        ("120", "240"),
        lambda s, t: transport_options(s)["visibility_timeout"],
        lambda v, t: int(v),
    ),
    "FARM_MODELS_FILE": Probe(
        ("{tmp}/m1.toml", "{tmp}/m2.toml"), lambda s, t: str(s.resolved_models_file), _same
    ),
    "FARM_MODEL_STORE": Probe(
        ("{tmp}/s1", "{tmp}/s2"), lambda s, t: str(s.resolved_model_store), _same
    ),
    "FARM_CACHE_DIR": Probe(
        ("{tmp}/c1", "{tmp}/c2"), lambda s, t: str(s.resolved_cache_dir), _same
    ),
    "FARM_REQUEST_TIMEOUT": Probe(
        ("7.5", "9"),
        lambda s, t: EndpointPool(resolve_model(s, "served"), s).policy.timeout,
        lambda v, t: float(v),
    ),
    "FARM_MAX_ATTEMPTS": Probe(
        ("2", "3"),
        lambda s, t: EndpointPool(resolve_model(s, "served"), s).policy.max_attempts,
        lambda v, t: int(v),
    ),
    "FARM_LOG_LEVEL": Probe(("DEBUG", "ERROR"), lambda s, t: _applied_level(s), _same),
    "OPENAI_BASE_URL": Probe(
        ("http://o1:1", "http://o2:2"),
        lambda s, t: resolve_model(s, "bare").endpoints[0].base_url,
        _url,
    ),
    "OPENAI_API_KEY": Probe(
        ("k-o1", "k-o2"), _key("completion"), _same, (("OPENAI_BASE_URL", "http://o:1"),)
    ),
    "COMPLETION_BASE_URL": Probe(
        ("http://c1:1/v1", "http://c2:2/v1"),
        lambda s, t: resolve_model(s, "bare").endpoints[0].base_url,
        _url,
    ),
    "COMPLETION_API_KEY": Probe(
        ("k-c1", "k-c2"), _key("completion"), _same, (("COMPLETION_BASE_URL", "http://c:1"),)
    ),
    "EMBEDDING_BASE_URL": Probe(
        ("http://e1:1", "http://e2:2"),
        lambda s, t: EmbeddingClient.from_env("embed", settings=s).endpoint.base_url,
        _url,
    ),
    "EMBEDDING_API_KEY": Probe(
        ("k-e1", "k-e2"), _key("embedding"), _same, (("EMBEDDING_BASE_URL", "http://e:1"),)
    ),
    "VLLM_ENDPOINT": Probe(
        ("gpu7", "gpu8:9000"),
        lambda s, t: attach_endpoint(s, EndpointOptions()),
        lambda v, t: _url(f"http://{v if ':' in v else v + ':8000'}", t),
    ),
    "VLLM_PORT": Probe(
        ("18112", "18113"),
        lambda s, t: attach_endpoint(s, EndpointOptions()),
        lambda v, t: f"http://127.0.0.1:{v}/v1",
    ),
    "FARM_SERVER_HOST": Probe(
        ("0.0.0.0", "10.1.1.1"),
        lambda s, t: host_options(s, "vllm", serving_settings(s)).host,
        _same,
        flag=lambda s, v: host_options(s, "vllm", serving_settings(s, host=v)).host,
    ),
    "FARM_SERVER_PORT": Probe(
        ("9100", "9200"),
        lambda s, t: host_options(s, "vllm", serving_settings(s)).port,
        lambda v, t: int(v),
        flag=lambda s, v: host_options(s, "vllm", serving_settings(s, port=int(v))).port,
    ),
    "FARM_SERVER_READY_TIMEOUT": Probe(
        ("60", "70"),
        lambda s, t: host_options(s, "vllm", serving_settings(s)).ready_timeout,
        lambda v, t: float(v),
    ),
    "FARM_SERVER_STOP_GRACE": Probe(
        ("3", "4"),
        lambda s, t: host_options(s, "vllm", serving_settings(s)).stop_grace,
        lambda v, t: float(v),
    ),
    "FARM_SERVER_COMMAND": Probe(
        ("vllm serve", "python -m x"),
        lambda s, t: host_options(s, "vllm", serving_settings(s)).launcher,
        lambda v, t: tuple(v.split()),
    ),
    "FARM_SERVER_VERIFY_STORE": Probe(
        ("1", "0"), lambda s, t: serving_settings(s).verify_store, lambda v, t: v == "1"
    ),
    "FARM_SERVER_PUBLISH": Probe(
        ("{tmp}/p1.json", "{tmp}/p2.json"),
        lambda s, t: str(serving_settings(s).publish),
        _same,
        flag=lambda s, v: str(serving_settings(s, publish=Path(v)).publish),
    ),
    "EMBEDDING_MODEL": Probe(
        ("embed-a", "embed-b"),
        lambda s, t: retrieval_run_options(1, None, s)["embedding_model"],
        _same,
        flag=lambda s, v: retrieval_run_options(1, v, s)["embedding_model"],
    ),
    "FARM_TRUSTED_ENV_SOURCES": Probe(
        ("{tmp}/t1/trust.sha256", "{tmp}/t2/trust.sha256"),
        lambda s, t: trusted_digests(s) - known_digests(),
        lambda v, t: {Path(v).read_text().split()[0]},
    ),
    "FARM_CHAT_TEMPLATE_DIR": Probe(
        ("{tmp}/t1", "{tmp}/t2"), _template, lambda v, t: f"{v}/probe.jinja"
    ),
    "FARM_VLLM_EXAMPLES_DIR": Probe(
        ("{tmp}/x1", "{tmp}/x2"), _template, lambda v, t: f"{v}/probe.jinja"
    ),
}


def _applied_level(settings: Settings) -> str:
    """The root log level after the CLI built its settings (``FARM_LOG_LEVEL``)."""
    root = logging.getLogger()
    before = root.level
    try:
        CliContext(overrides={}).settings()
        return logging.getLevelName(root.level)
    finally:
        root.setLevel(before)


def _generic(name: str) -> Probe:
    field = name.removeprefix("FARM_").lower()
    assert field in Settings.model_fields, (
        f"README documents {name}, but no probe in this test and no Settings field reads it"
    )
    return Probe(("17", "23"), lambda s, t: str(getattr(s, field)), _same)


def probe_of(name: str) -> Probe:
    return PROBES.get(name) or _generic(name)


@pytest.fixture
def scratch(farm_home: Path, tmp_path: Path) -> Path:
    """FARM_HOME with registry models 'bare' (no endpoint) and 'served', and templates."""
    farm_home.mkdir(parents=True, exist_ok=True)
    (farm_home / "models.toml").write_text(
        '[models.bare]\nmode = "fc"\n'
        '[models.served]\nendpoints = [{ base_url = "http://127.0.0.1:9/v1" }]\n'
    )
    for folder in ("t1", "t2", "x1", "x2"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "probe.jinja").write_text("{{ messages }}")
        (tmp_path / folder / "trust.sha256").write_text(f"{source_digest(folder)}  {folder}.py\n")
    return tmp_path


def _settings_from(source: str, name: str, value: str, flag: str | None) -> Settings:
    """Settings as a command builds them, with ``name`` given by ``source``."""
    if source == "flag":
        assert flag is not None
        ctx = cli.make_context("farm", [flag, value, "doctor"])
        with ctx:
            ctx.invoke(cli.callback, **ctx.params)  # type: ignore[arg-type]
            obj = ctx.find_object(CliContext)
            assert obj is not None
            return obj.settings()
    return load_settings()


@pytest.mark.parametrize(("name", "flag"), VARIABLES, ids=[v for v, _ in VARIABLES])
def test_every_documented_variable_works_from_environment_dotenv_and_flag(
    scratch: Path, monkeypatch: pytest.MonkeyPatch, name: str, flag: str | None
) -> None:
    if name == "FARM_ENV_FILE":
        pytest.skip("names the dotenv file itself: tested below")
    probe = probe_of(name)
    value, other = (v.replace("{tmp}", str(scratch)) for v in probe.values)
    for companion, companion_value in probe.companions:
        monkeypatch.setenv(companion, companion_value)
    expected = probe.expect(value, scratch)
    monkeypatch.delenv(name, raising=False)

    # .env alone
    Path(".env").write_text(f"{name}={value}\n")
    assert probe.see(load_settings(), scratch) == expected, f"{name} in .env"
    # the environment alone, and the environment over .env
    Path(".env").unlink()
    monkeypatch.setenv(name, value)
    assert probe.see(load_settings(), scratch) == expected, f"{name} in the environment"
    Path(".env").write_text(f"{name}={other}\n")
    assert probe.see(load_settings(), scratch) == expected, f"{name}: environment over .env"
    # the flag over the environment
    if flag in ROOT_FLAGS:
        monkeypatch.setenv(name, other)
        settings = _settings_from("flag", name, value, flag)
        assert probe.see(settings, scratch) == expected, f"{flag} over {name}"
    elif flag is not None:
        assert probe.flag is not None, f"README gives {name} the flag {flag}: add a flag probe"
        monkeypatch.setenv(name, other)
        assert probe.flag(load_settings(), value) == expected, f"{flag} over {name}"


def test_the_readme_table_is_parsed(scratch: Path) -> None:
    names = [name for name, _ in VARIABLES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert ("FARM_HOME", "--home") in VARIABLES and ("VLLM_PORT", None) in VARIABLES
    assert {"OPENAI_API_KEY", "COMPLETION_BASE_URL", "FARM_SERVER_HOST"} <= set(names)


def test_farm_env_file_names_the_dotenv_file(scratch: Path, monkeypatch) -> None:
    other = scratch / "elsewhere.env"
    other.write_text("VLLM_PORT=18112\nFARM_SHARD_SIZE=17\n")
    Path(".env").write_text("VLLM_PORT=1\n")
    monkeypatch.setenv("FARM_ENV_FILE", str(other))
    settings = load_settings()
    assert attach_endpoint(settings, EndpointOptions()) == "http://127.0.0.1:18112/v1"
    assert settings.shard_size == 17


def test_a_bad_value_names_its_variable_wherever_it_comes_from(scratch: Path) -> None:
    from farm.errors import ConfigError

    Path(".env").write_text("FARM_SERVER_PORT=99999\n")
    with pytest.raises(ConfigError, match="invalid setting FARM_SERVER_PORT"):
        load_settings()
    Path(".env").write_text("FARM_LOG_LEVEL=loud\n")
    with pytest.raises(ConfigError, match="invalid setting FARM_LOG_LEVEL"):
        load_settings()


def test_every_setting_is_documented_in_the_table() -> None:
    from farm.config import variable_name

    documented = {name for name, _ in VARIABLES}
    missing = [
        variable_name(f) for f in Settings.model_fields if variable_name(f) not in documented
    ]
    assert not missing, f"add these to README.md's configuration table: {missing}"
