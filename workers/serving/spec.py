"""What a hosted server is started with, independent of the backend that starts it.

:func:`launch_spec` turns a registry :class:`~farm.models.registry.ModelSpec` into a
:class:`LaunchSpec`: the model directory (from the offline store, a local path, or a Hub id),
the served name, and the tool-calling and memory settings. The backend modules
(:mod:`workers.serving.vllm`, :mod:`workers.serving.sglang`) turn it into a command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from farm.backends import Weights
from farm.config import Settings
from farm.errors import ConfigError, ModelStoreError
from farm.models.gguf import SUFFIX as GGUF_SUFFIX
from farm.models.gguf import check_single_file
from farm.models.registry import ModelSpec
from farm.models.store import ModelStore

#: Variables that keep Hugging Face libraries from touching the network.
OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
}


@dataclass(frozen=True)
class LaunchSpec:
    """A model server's launch settings.

    Attributes:
        model: absolute model directory, or a Hugging Face repository id.
        served_name: the name requests use in their ``model`` field.
        offline: start with the Hugging Face offline variables set (stored models).
        tool_call_parser: the server's tool-call parser (None: no auto tool choice).
        chat_template: a template file path (resolved) or None for the tokenizer's own.
        reasoning_parser: the server's reasoning parser, if any.
        max_model_len: context length (prompt + output); None: the model's own.
        max_num_seqs: sequences served at once (vLLM ``--max-num-seqs``, SGLang
            ``--max-running-requests``, llama.cpp ``--parallel`` slots); None: the server's.
        tensor_parallel_size: GPUs one replica spans.
        gpu_memory_utilization: fraction of each GPU the server may take.
        trust_remote_code: allow custom model code from the model directory.
        extra_args: further command-line arguments, passed through unchanged.
    """

    model: str
    served_name: str
    offline: bool = False
    tool_call_parser: str | None = None
    chat_template: str | None = None
    reasoning_parser: str | None = None
    max_model_len: int | None = None
    max_num_seqs: int | None = None
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    trust_remote_code: bool = False
    extra_args: tuple[str, ...] = field(default_factory=tuple)


def resolve_chat_template(value: str, model_dir: Path | None, settings: Settings) -> str:
    """Find a chat template file.

    ``value`` is an existing path, or a file name looked up in the model directory, then
    ``FARM_CHAT_TEMPLATE_DIR``, then the vLLM image's examples directory
    (``FARM_VLLM_EXAMPLES_DIR``, default ``/vllm-workspace/examples``).
    """
    path = Path(value).expanduser()
    if path.is_file():
        return str(path.resolve())
    if path.is_absolute() or "/" in value:
        raise ConfigError(f"chat template {value!r} does not exist")
    places = [model_dir] if model_dir is not None else []
    if settings.chat_template_dir is not None:
        places.append(settings.chat_template_dir)
    places.append(settings.vllm_examples_dir)
    for place in places:
        if (place / value).is_file():
            return str((place / value).resolve())
    searched = ", ".join(str(p) for p in places)
    raise ConfigError(
        f"chat template {value!r} not found (searched {searched}); put it in "
        "FARM_CHAT_TEMPLATE_DIR or give a path"
    )


def _is_hub_id(value: str) -> bool:
    parts = value.split("/")
    return len(parts) == 2 and all(parts) and not value.startswith((".", "~"))


def _check_weights(spec: ModelSpec, model: str, weights: Weights) -> None:
    """Refuse a GGUF file for a directory server, and anything else for a GGUF server."""
    is_gguf = model.endswith(GGUF_SUFFIX) and Path(model).is_file()
    if weights == "gguf" and not is_gguf:
        raise ConfigError(
            f"model {spec.key!r}: this server serves one GGUF file, and {model} is not one; "
            "import a .gguf file with `farm models import FILE --name NAME` and set store_name"
        )
    if weights != "gguf" and is_gguf:
        raise ConfigError(
            f"model {spec.key!r} is a GGUF file ({model}): host it with --backend llama.cpp"
        )


def launch_spec(
    spec: ModelSpec, settings: Settings, *, verify_store: bool = False, weights: Weights = "hf"
) -> LaunchSpec:
    """The launch settings of a registry model, for a server that serves ``weights``.

    ``weights`` is the server backend's: ``"hf"`` (a model directory or Hub id) or
    ``"gguf"`` (one GGUF file: a stored GGUF model, or a local ``.gguf`` ``model_path``,
    whose header is checked first). A model of the other kind is a :class:`ConfigError`.

    A model with ``store_name`` (or whose ``model_path`` Hub id was pulled into the store as
    ``ORG--NAME``) starts from the store's directory, offline; the files are
    checked against the manifest first (sizes, or full sha256 with ``verify_store``), and a
    missing or damaged file is a :class:`ModelStoreError`. Otherwise ``model_path`` (a local
    directory or a Hub id) is used, then the served name.
    """
    model_dir: Path | None = None
    offline = False
    store = ModelStore.from_settings(settings)
    store_name = spec.store_name
    if not store_name and spec.model_path and _is_hub_id(spec.model_path):
        # A repository pulled with `farm models pull ORG/NAME` is used without configuration.
        pulled = spec.model_path.replace("/", "--")
        if (store.root / pulled / "manifest.json").is_file():
            store_name = pulled
    if store_name:
        report = store.verify(store_name, full=verify_store)
        if not report.ok:
            raise ModelStoreError(
                f"cannot serve {spec.key!r} from the store: {report.summary()}; "
                f"re-import it or run `farm models verify {store_name}`"
            )
        model_dir = store.model_dir(store_name)
        model = str(model_dir)
        offline = True
        if store.manifest(store_name).format == "gguf":
            model = str(store.gguf_file(store_name))
    elif spec.model_path:
        local = Path(spec.model_path).expanduser()
        if local.is_file() and local.name.endswith(GGUF_SUFFIX):
            check_single_file(local)
            model_dir = local.resolve().parent
            model = str(local.resolve())
        elif local.is_dir():
            model_dir = local.resolve()
            model = str(model_dir)
        elif spec.model_path.startswith(("/", ".", "~")):
            raise ConfigError(f"model {spec.key!r}: model_path {spec.model_path} does not exist")
        else:
            model = spec.model_path
    elif spec.served_name:
        model = spec.served_name
    else:
        raise ConfigError(f"model {spec.key!r} has nothing to serve: set store_name or model_path")
    _check_weights(spec, model, weights)
    template = (
        resolve_chat_template(spec.chat_template, model_dir, settings)
        if spec.chat_template
        else None
    )
    return LaunchSpec(
        model=model,
        served_name=spec.request_model,
        offline=offline,
        tool_call_parser=spec.tool_call_parser,
        chat_template=template,
        reasoning_parser=spec.reasoning_parser,
        max_model_len=spec.max_model_len,
        max_num_seqs=spec.max_num_seqs,
        tensor_parallel_size=spec.tensor_parallel_size,
        gpu_memory_utilization=spec.gpu_memory_utilization,
        trust_remote_code=spec.trust_remote_code,
        extra_args=tuple(spec.extra_args),
    )
