"""The model registry: built-in presets plus the user's TOML file, addressed by name.

A :class:`ModelSpec` says how to serve a model and how to talk to it. Presets are registered
with the :func:`preset` decorator (in :mod:`farm.models.presets` and, for model families,
:mod:`farm.models.families`); that decorator is the only list of built-in models. The TOML
file (``settings.resolved_models_file``) adds models or overrides preset fields::

    [models."my-model"]
    backend = "openai-compatible"
    mode = "fc"
    served_name = "org/my-model"
    endpoints = [{ base_url = "http://10.0.0.5:8000/v1", api_key_env = "MY_KEY" }]

Any name works when an endpoint and a mode are given (command line; see
:func:`farm.resolve.resolve_model`), so the registry only adds conveniences. Names may
be written ``backend/model-id`` (``openai-compatible/gpt-x``).

API keys: a spec holds only the NAME of the environment variable with the key
(``api_key_env``), or a :class:`~pydantic.SecretStr` that is excluded from serialisation, so a
spec written to the database or a broker message never carries a key.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from farm.backends import check_backend, endpoint_backend_for, server_backend_info
from farm.config import Settings
from farm.config import normalise_base_url as normalise_base_url
from farm.errors import ConfigError
from farm.formats import get_format

#: A registered backend name (:mod:`farm.backends` holds the only lists).
Backend = Annotated[str, AfterValidator(check_backend)]
ToolChoice = Literal["auto", "named", "required", "none"]

#: BFCL's sampling defaults (bfcl.md 2.10): temperature 0.001, nothing else set.
DEFAULT_GENERATION: dict[str, Any] = {"temperature": 0.001}


class EndpointConfig(BaseModel):
    """One OpenAI-compatible endpoint (a replica) of a model.

    Attributes:
        base_url: the API root, ending in ``/v1``.
        api_key_env: the name of the environment variable that holds the key (never the key).
        api_key: a key given programmatically; excluded from every dump and repr.
        max_concurrency: requests in flight to this endpoint (default: the model's).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    api_key_env: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True, repr=False)
    max_concurrency: int | None = Field(default=None, ge=1)

    @property
    def label(self) -> str:
        """A short name for logs and statistics (the URL without the ``/v1`` suffix)."""
        return self.base_url.removesuffix("/").removesuffix("/v1")


class ModelSpec(BaseModel):
    """Everything the farm needs to know about one model. Frozen and JSON-serialisable."""

    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    key: str
    display_name: str = ""
    backend: Backend = "openai-compatible"
    mode: str = "fc"
    served_name: str = ""
    generation: dict[str, Any] = Field(default_factory=lambda: dict(DEFAULT_GENERATION))
    tool_choice: ToolChoice = "auto"
    underscore_to_dot: bool | None = None
    endpoints: list[EndpointConfig] = Field(default_factory=list)
    max_concurrency: int = Field(default=64, ge=1)
    max_tokens: int | None = Field(default=None, ge=1)
    request_timeout: float | None = Field(default=None, gt=0)
    max_attempts: int | None = Field(default=None, ge=1)
    # Serving fields, used by GPU workers that host the model.
    model_path: str | None = None
    store_name: str | None = None
    tool_call_parser: str | None = None
    chat_template: str | None = None
    reasoning_parser: str | None = None
    max_model_len: int | None = None
    max_num_seqs: int | None = Field(default=None, ge=1)
    tensor_parallel_size: int = Field(default=1, ge=1)
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1)
    trust_remote_code: bool = False
    extra_args: list[str] = Field(default_factory=list)

    @property
    def dots_replaced(self) -> bool:
        """Whether tool names had ``.`` replaced by ``_`` (BFCL's ``underscore_to_dot``)."""
        if self.underscore_to_dot is not None:
            return self.underscore_to_dot
        return get_format(self.mode).replaces_dots

    @field_validator("mode")
    @classmethod
    def _known_format(cls, value: str) -> str:
        """``mode`` names a registered call format (:mod:`farm.formats`)."""
        try:
            get_format(value)
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value

    @property
    def request_model(self) -> str:
        """The ``model`` field sent in requests."""
        return self.served_name or self.key.split("/", 1)[-1]


#: Preset factories by name. Filled only by :func:`preset`.
_PRESETS: dict[str, Callable[[], ModelSpec]] = {}
_loaded = False


def preset(name: str) -> Callable[[Callable[[], ModelSpec]], Callable[[], ModelSpec]]:
    """Register a function returning a :class:`ModelSpec` as the built-in model ``name``.

    Raises:
        ConfigError: if ``name`` is registered twice.
    """

    def register(factory: Callable[[], ModelSpec]) -> Callable[[], ModelSpec]:
        if name in _PRESETS:
            raise ConfigError(f"model preset {name!r} is registered twice")
        _PRESETS[name] = factory
        return factory

    return register


def _load_presets() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    importlib.import_module("farm.models.presets")
    try:
        importlib.import_module("farm.models.families")
    except ModuleNotFoundError as exc:
        if exc.name != "farm.models.families":
            raise


def preset_names() -> list[str]:
    """The names of every built-in preset, sorted."""
    _load_presets()
    return sorted(_PRESETS)


def read_models_file(settings: Settings) -> dict[str, dict[str, Any]]:
    """The ``[models.<name>]`` tables of the registry file (empty when there is no file).

    Raises:
        ConfigError: if the file is not valid TOML or has a bad shape.
    """
    path = settings.resolved_models_file
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read model registry {path}: {exc}") from exc
    models = data.get("models", {})
    if not isinstance(models, dict) or not all(isinstance(v, dict) for v in models.values()):
        raise ConfigError(f"model registry {path}: expected [models.<name>] tables")
    for key, value in models.items():
        if "api_key" in value:
            raise ConfigError(
                f"model registry {path}: model {key!r} holds an api_key; "
                "store the key in the environment and name the variable with api_key_env"
            )
    return models


def build_spec(name: str, fields: dict[str, Any], origin: str) -> ModelSpec:
    """A validated spec named ``name`` from ``fields`` (``origin`` names where they came from).

    Raises:
        ConfigError: naming the first invalid field.
    """
    if "call_format" in fields:  # models.toml may spell the format call_format
        fields = {**fields, "mode": fields["call_format"]}
        del fields["call_format"]
    try:
        return ModelSpec.model_validate({**fields, "key": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"model {name!r} ({origin}): {where}: {msg}") from exc


def list_models(settings: Settings) -> list[ModelSpec]:
    """Every known model: presets, then entries of the registry file, by name."""
    names = set(preset_names()) | set(read_models_file(settings))
    return [lookup_model(settings, name) for name in sorted(names)]


def lookup_model(settings: Settings, name: str) -> ModelSpec:
    """The registered model ``name`` (file fields override preset fields).

    Raises:
        ConfigError: if no preset and no file entry has that name.
    """
    _load_presets()
    fields: dict[str, Any] = {}
    origin = "preset"
    factory = _PRESETS.get(name)
    if factory is not None:
        fields = factory().model_dump(exclude={"key"})
    entry = read_models_file(settings).get(name)
    if entry is not None:
        fields.update(entry)
        origin = str(settings.resolved_models_file)
    elif factory is None:
        raise ConfigError(
            f"unknown model {name!r}: give --endpoint and --mode (or --call-format), or add it to "
            f"{settings.resolved_models_file} (known: {', '.join(preset_names())})"
        )
    return build_spec(name, fields, origin)


def _env_fallback(backend: str) -> bool:
    """Whether a model of ``backend`` without endpoints reads them from the environment.

    True for endpoint backends reached at a URL; not for in-process ones (``fake``) nor for
    server backends, whose endpoint is the server a worker hosts or attaches to.
    """
    return server_backend_info(backend) is None and endpoint_backend_for(backend).url


def choose_mode(mode: str | None, call_format: str | None) -> str | None:
    """The call format named by ``--mode`` and ``--call-format`` (None: the model's own).

    ``--call-format`` wins; with both, ``--mode fc`` goes with any FC-style format (one that
    offers native tools), ``--mode prompt`` only with ``prompt``.

    Raises:
        ConfigError: an unknown call format, or one that contradicts ``--mode``.
    """
    if call_format is None:
        return mode
    from farm.formats.fc import FunctionCalling
    from farm.formats.registry import format_names

    try:
        chosen = get_format(call_format)
    except ConfigError:
        raise ConfigError(
            f"unknown call format {call_format!r}: choose one of {', '.join(format_names())}"
        ) from None
    if mode is not None and mode != call_format:
        if mode != "fc" or not isinstance(chosen, FunctionCalling):
            raise ConfigError(f"--call-format {call_format} contradicts --mode {mode}")
    return call_format
