"""Settings: one typed object, built on demand, never at import time.

Precedence, highest first: a command-line flag (passed to :func:`load_settings` as an
override), the process environment, the ``.env`` file (in the working directory, or the
file named by ``FARM_ENV_FILE``), then the defaults below. That holds for every documented
variable: the farm's own (``FARM_*``, ``FARM_SERVER_*``) and the endpoint variables without
the prefix (``OPENAI_*``, ``COMPLETION_*``, ``EMBEDDING_*``, ``VLLM_*``), which
:mod:`farm.endpoints.env` turns into endpoints. Keys are :class:`~pydantic.SecretStr`, so a
dump or repr of the settings never shows them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from farm.errors import ConfigError


def default_home() -> Path:
    """The per-user data directory: ``$XDG_DATA_HOME/farm`` or ``~/.local/share/farm``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "farm"


#: Where the vLLM image keeps its example chat templates.
VLLM_EXAMPLES_DIR = Path("/vllm-workspace/examples")


def env_file() -> str:
    """The ``.env`` file to read: ``FARM_ENV_FILE`` or ``.env`` in the working directory."""
    return os.environ.get("FARM_ENV_FILE", ".env")


def dotenv_file_values(path: str | None = None) -> dict[str, str]:
    """The variables set in the ``.env`` file (``{}`` if there is none); never raises."""
    try:
        values = dotenv_values(path or env_file(), encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {key: value for key, value in values.items() if value is not None}


def normalise_base_url(url: str) -> str:
    """``host:port`` or ``http://host:port`` or ``.../v1`` -> ``http://host:port/v1``.

    Raises:
        ConfigError: if the URL has a scheme other than http or https.
    """
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"endpoint URL {url!r}: only http and https are supported")
    if not url.endswith("/v1"):
        url += "/v1"
    return url


def _plain(name: str) -> Any:
    """A field read from the variable ``name`` (no ``FARM_`` prefix), or by its field name."""
    return AliasChoices(name, name.lower())


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
    trusted_env_sources: Path | None = Field(
        default=None,
        description="sha256sum-style list of extra trusted multi-turn environment sources.",
    )
    memory_embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Served name of the embedding model of BFCL's vector memory "
        "(EMBEDDING_BASE_URL, else OPENAI_BASE_URL).",
    )

    # Endpoints (no FARM_ prefix; turned into endpoints by farm.endpoints.env).
    openai_base_url: str | None = Field(
        default=None, validation_alias=_plain("OPENAI_BASE_URL"), description="General API root."
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=_plain("OPENAI_API_KEY"), description="Its key."
    )
    completion_base_url: str | None = Field(
        default=None,
        validation_alias=_plain("COMPLETION_BASE_URL"),
        description="Chat/completion API root (default OPENAI_BASE_URL).",
    )
    completion_api_key: SecretStr | None = Field(
        default=None, validation_alias=_plain("COMPLETION_API_KEY"), description="Its key."
    )
    embedding_base_url: str | None = Field(
        default=None,
        validation_alias=_plain("EMBEDDING_BASE_URL"),
        description="Embedding API root (default OPENAI_BASE_URL).",
    )
    embedding_api_key: SecretStr | None = Field(
        default=None, validation_alias=_plain("EMBEDDING_API_KEY"), description="Its key."
    )
    embedding_model: str | None = Field(
        default=None,
        validation_alias=_plain("EMBEDDING_MODEL"),
        description="Embedding model for --tool-retrieval (default text-embedding-3-small).",
    )
    vllm_endpoint: str | None = Field(
        default=None,
        validation_alias=_plain("VLLM_ENDPOINT"),
        description="Running vLLM server to attach to: host, host:port or URL.",
    )
    vllm_port: str | None = Field(
        default=None,
        validation_alias=_plain("VLLM_PORT"),
        description="Its port when VLLM_ENDPOINT names none (default 8000).",
    )

    # Hosted servers (FARM_SERVER_*).
    server_host: str = Field(default="127.0.0.1", description="Bind address; 0.0.0.0 to share.")
    server_port: int | None = Field(
        default=None, ge=1, le=65535, description="First replica's port."
    )
    server_ready_timeout: float = Field(default=1800.0, gt=0, description="Seconds to ready.")
    server_stop_grace: float = Field(default=30.0, ge=0, description="SIGTERM to SIGKILL, s.")
    server_command: str | None = Field(default=None, description="Launcher, e.g. 'vllm serve'.")
    server_verify_store: bool = Field(default=False, description="sha256-check stored models.")
    server_publish: Path | None = Field(default=None, description="Publish endpoints here.")
    chat_template_dir: Path | None = Field(default=None, description="Chat templates.")
    vllm_examples_dir: Path = Field(
        default=VLLM_EXAMPLES_DIR, description="The vLLM image's example chat templates."
    )

    @field_validator(
        "database_url",
        "broker_url",
        "openai_base_url",
        "completion_base_url",
        "embedding_base_url",
        "embedding_model",
        "vllm_endpoint",
        "vllm_port",
        "server_command",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_level(cls, value: Any) -> Any:
        name = str(value).strip().upper()
        if name not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not a log level (DEBUG, INFO, WARNING, ERROR)")
        return name

    @field_validator("openai_api_key", "completion_api_key", "embedding_api_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
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

    def variable(self, name: str) -> str | None:
        """The value of any variable, by the same precedence: process environment, ``.env``.

        For variables the settings do not model, e.g. the one a model's ``api_key_env``
        names. Read now (never cached); blank counts as unset.
        """
        value = os.environ.get(name)
        if value is None:
            value = dotenv_file_values(self._dotenv_path).get(name)
        value = (value or "").strip()
        return value or None

    _dotenv_path: str | None = None


def load_settings(**overrides: Any) -> Settings:
    """Build settings, with ``overrides`` (command-line flags) taking precedence.

    Overrides whose value is ``None`` are ignored, so unset flags fall through to the
    environment. Raises :class:`ConfigError` with a one-line message on invalid values.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    path = env_file()
    try:
        settings = Settings(_env_file=path, **given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {variable_name(where)}: {first['msg']}") from exc
    settings._dotenv_path = path
    return settings


def variable_name(field: str) -> str:
    """The environment variable of a settings field (``server_port`` -> ``FARM_SERVER_PORT``)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    if field.isupper():  # pydantic reports an aliased field by the alias it was read from
        return field
    return f"FARM_{field.upper()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment, built on first use and cached."""
    return load_settings()
