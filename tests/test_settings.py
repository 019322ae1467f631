from __future__ import annotations

from pathlib import Path

import pytest

from farm.config import Settings, get_settings, load_settings
from farm.errors import ConfigError

CASES = [
    # (.env value, environment value, flag value, expected)
    (None, None, None, "default"),
    ("sqlite:////from-dotenv.db", None, None, "sqlite:////from-dotenv.db"),
    ("sqlite:////from-dotenv.db", "sqlite:////from-env.db", None, "sqlite:////from-env.db"),
    (
        "sqlite:////from-dotenv.db",
        "sqlite:////from-env.db",
        "sqlite:////flag.db",
        "sqlite:////flag.db",
    ),
    (None, None, "sqlite:////flag.db", "sqlite:////flag.db"),
]


@pytest.mark.parametrize(("dotenv", "environ", "flag", "expected"), CASES)
def test_precedence_is_flag_then_environment_then_dotenv_then_default(
    farm_home: Path, monkeypatch: pytest.MonkeyPatch, dotenv, environ, flag, expected
) -> None:
    if dotenv:
        Path(".env").write_text(f"FARM_DATABASE_URL={dotenv}\n")
    if environ:
        monkeypatch.setenv("FARM_DATABASE_URL", environ)
    settings = load_settings(database_url=flag)
    if expected == "default":
        assert settings.database_url is None
        assert settings.resolved_database_url == f"sqlite:///{farm_home / 'farm.db'}"
    else:
        assert settings.resolved_database_url == expected


def test_env_file_can_be_named_by_farm_env_file(farm_home: Path, monkeypatch) -> None:
    other = farm_home.parent / "other.env"
    other.write_text("FARM_BROKER_URL=redis://example:6379/3\nFARM_SHARD_SIZE=17\n")
    monkeypatch.setenv("FARM_ENV_FILE", str(other))
    settings = load_settings()
    assert settings.broker_url == "redis://example:6379/3"
    assert settings.shard_size == 17


def test_blank_broker_means_in_process_executor(farm_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("FARM_BROKER_URL", "  ")
    assert load_settings().broker_url is None


def test_postgres_urls_are_normalised_to_psycopg3(farm_home: Path) -> None:
    settings = load_settings(database_url="postgresql://u:secret@db:5432/farm")
    assert settings.database_url == "postgresql+psycopg://u:secret@db:5432/farm"
    assert not settings.embedded_database


def test_invalid_values_raise_config_error_with_the_variable_name(
    farm_home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FARM_SHARD_SIZE", "many")
    with pytest.raises(ConfigError, match="FARM_SHARD_SIZE"):
        load_settings()


def test_building_settings_creates_no_directories(farm_home: Path) -> None:
    settings = Settings()
    assert settings.home == farm_home
    assert not farm_home.exists()


def test_get_settings_is_cached_until_cleared(farm_home: Path, monkeypatch) -> None:
    first = get_settings()
    monkeypatch.setenv("FARM_SHARD_SIZE", "5")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().shard_size == 5
