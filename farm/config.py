"""Settings: one typed object, built on demand, never at import time.

Precedence, highest first: a command-line flag (passed to :func:`load_settings` as an
override), the process environment, the ``.env`` file (in the working directory, or the
file named by ``FARM_ENV_FILE``), then the defaults below. All farm settings carry the
``FARM_`` prefix; endpoint variables without it (``OPENAI_BASE_URL`` and friends) are read
by :mod:`farm.endpoints.env`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from farm.errors import ConfigError


def default_home() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/farm`` or ``~/.local/share/farm``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "farm"


def env_file() -> str:
    """The ``.env`` file to read: ``FARM_ENV_FILE`` or ``.env`` in the working directory."""
    return os.environ.get("FARM_ENV_FILE", ".env")


class Settings(BaseSettings):
    """Every setting of the farm. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="FARM_",
        extra="ignore",
        env_file_encoding="utf-8",
        validate_default=True,
    )

    home: Path = Field(default_factory=default_home, description="Data directory.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default a SQLite file farm.db under FARM_HOME.",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker URL (redis://...); unset means the in-process executor.",
    )
    models_file: Path | None = Field(
        default=None, description="Model registry TOML; default models.toml under FARM_HOME."
    )
    model_store: Path | None = Field(
        default=None, description="Offline model store; default models/ under FARM_HOME."
    )
    cache_dir: Path | None = Field(
        default=None, description="Download cache (suite wheels); default cache/ under FARM_HOME."
    )
    broker_key_prefix: str = Field(
        default="", description="Prefix of every broker key (isolates farms sharing a Redis)."
    )
    shard_size: int = Field(default=0, ge=0, description="Cases per shard; 0 chooses one.")
    lease_seconds: int = Field(
        default=30, ge=3, description="Shard lease, renewed every 2 s; expired, it is swept."
    )
    lost_message_seconds: int = Field(
        default=900, ge=3, description="A queued shard untouched this long gets a new message."
    )
    visibility_timeout: int = Field(
        default=4 * 3600, ge=60, description="Redis visibility timeout of broker messages."
    )
    request_timeout: float = Field(default=600.0, gt=0, description="Seconds per request.")
    max_attempts: int = Field(default=4, ge=1, description="Attempts per request.")
    log_level: str = Field(default="WARNING", description="Python logging level.")

    @field_validator("database_url", "broker_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force (the embedded SQLite file when none is set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'farm.db'}"

    @property
    def embedded_database(self) -> bool:
        """Whether the farm runs on its embedded SQLite default."""
        return self.database_url is None

    @property
    def resolved_models_file(self) -> Path:
        """The model registry file in force."""
        return self.models_file or self.home / "models.toml"

    @property
    def resolved_model_store(self) -> Path:
        """The offline model store directory in force."""
        return self.model_store or self.home / "models"

    @property
    def resolved_cache_dir(self) -> Path:
        """The download cache directory in force."""
        return self.cache_dir or self.home / "cache"


def load_settings(**overrides: Any) -> Settings:
    """Build settings, with ``overrides`` (command-line flags) taking precedence.

    Overrides whose value is ``None`` are ignored, so unset flags fall through to the
    environment. Raises :class:`ConfigError` with a one-line message on invalid values.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(_env_file=env_file(), **given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting FARM_{where.upper()}: {first['msg']}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment, built on first use and cached."""
    return load_settings()
