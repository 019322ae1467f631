"""Where a worker's endpoint comes from: the ONE place a worker resolves it.

Precedence: ``--endpoint URL[,URL...]``, then attach to a server someone else started
(``VLLM_ENDPOINT``, a URL, or ``VLLM_PORT`` on this host), then the endpoints the model
registry names. Hosting a model on ``--gpus`` is added here by the GPU-serving extension;
a worker never stops a server it did not start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from farm.backends import endpoint_backend_for
from farm.config import Settings
from farm.endpoints.env import attach_requested, attach_url, resolve_api_key
from farm.errors import ConfigError, ServingError
from farm.models.registry import EndpointConfig, ModelSpec, normalise_base_url
from farm.resolve import resolve_model

if TYPE_CHECKING:
    from workers.serving.host import ModelServer


class Endpoints(list[str]):
    """The base URLs a worker uses, with the checks that keep it honest while it runs.

    Attributes:
        verify: called before each shard; raises :class:`ServingError` when an attached
            endpoint now serves another model (``None``: nothing to verify).
        alive: polled while the worker runs; raises :class:`ServingError` when a hosted
            server has died (``None``: the worker hosts nothing).
    """

    def __init__(
        self,
        urls: Iterable[str],
        *,
        verify: Callable[[], None] | None = None,
        alive: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(urls)
        self.verify = verify
        self.alive = alive


def hosted_alive(servers: list[ModelServer]) -> None:
    """Raise a one-line :class:`ServingError` naming the log file if a hosted server died."""
    for server in servers:
        process = server.process
        code = process.exit_code() if process is not None else None
        if process is not None and code is not None:
            raise ServingError(
                f"the {server.served_name or 'model'} server on {server.slot_name} exited with "
                f"status {code} mid-run; see its log {process.log_path}"
            )


def served_models(base_url: str, api_key: str | None, *, timeout: float = 5.0) -> list[str] | None:
    """The names ``base_url``/models lists (ids, aliases), or ``None`` when it gives no list."""
    import httpx

    from workers.serving.readiness import entry_names

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(
            f"{base_url.rstrip('/')}/models", headers=headers, timeout=timeout, trust_env=False
        )
        if response.status_code != 200:
            return None
        return [name for item in response.json()["data"] for name in entry_names(item)]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def served_name_check(urls: list[str], served_name: str, api_key: str | None) -> Callable[[], None]:
    """A check that each of ``urls`` still lists ``served_name`` (those that listed it now).

    Endpoints that do not list it at start (no ``/models``, a gateway) are not verified; an
    endpoint that does not answer a later check is left to the request retries.
    """
    watched = [u for u in urls if served_name in (served_models(u, api_key) or [served_name])]

    def verify() -> None:
        for url in watched:
            listed = served_models(url, api_key)
            if listed is not None and served_name not in listed:
                raise ServingError(
                    f"endpoint {url} now serves {', '.join(listed) or 'no model'}, not "
                    f"{served_name!r}: another server took its place"
                )

    return verify


@dataclass(frozen=True)
class EndpointOptions:
    """The worker's endpoint-related options.

    Attributes:
        endpoint: ``--endpoint``: comma-separated base URLs to attach to.
        gpus: ``--gpus``: GPU indices ("0,1") or "all" to host the model on.
        mode: ``--mode``: fc or prompt (default: the model's).
        backend: ``--backend``: vllm or sglang when hosting (default: the model's, or vllm).
        tensor_parallel: ``--tensor-parallel``: GPUs per replica (default: the model's).
        replicas_per_gpu: ``--replicas-per-gpu``: replicas packed onto each GPU.
        attach: ``--attach`` / ``--skip-vllm``: never host; attach to VLLM_ENDPOINT or
            VLLM_PORT (or --endpoint) after checking that it answers.
        api_key_env: ``--api-key-env``: the variable holding the endpoint's API key.
        call_format: ``--call-format``: fc, prompt or a family format (default: the model's).
        attach_wait_s: with ``attach``: seconds to keep retrying an endpoint that does not
            answer yet (it may still be loading) before refusing.
    """

    endpoint: str | None = None
    gpus: str | None = None
    mode: str | None = None
    backend: str | None = None
    tensor_parallel: int | None = None
    replicas_per_gpu: int = 1
    attach: bool = False
    attach_wait_s: float = 30.0
    api_key_env: str | None = None
    call_format: str | None = None


def attach_endpoint(settings: Settings, options: EndpointOptions) -> str | None:
    """The URL(s) to attach to: ``--endpoint``, else ``VLLM_ENDPOINT``/``VLLM_PORT``.

    With ``--attach`` and neither variable set, that is the default 127.0.0.1:8000.
    """
    if options.endpoint:
        return options.endpoint
    if options.attach or attach_requested(settings):
        return attach_url(settings)
    return None


def worker_model(settings: Settings, name: str, options: EndpointOptions) -> ModelSpec:
    """The model a worker serves, with the endpoint it attaches to when there is one.

    Raises:
        ConfigError: for an unknown model or a model with no endpoint anywhere.
    """
    if options.endpoint and options.gpus:
        raise ConfigError("give either --endpoint or --gpus, not both")
    return resolve_model(
        settings,
        name,
        endpoint=attach_endpoint(settings, options),
        mode=options.mode,
        api_key_env=options.api_key_env,
        call_format=options.call_format,
    )


@contextmanager
def open_endpoint(
    settings: Settings, spec: ModelSpec, options: EndpointOptions
) -> Iterator[Endpoints]:
    """Bring up the worker's endpoint and yield its base URL(s) while it is in use.

    The URLs come as :class:`Endpoints`, a list that also carries the checks the worker
    runtime makes: attached endpoints are re-verified before each shard (``/v1/models``
    still lists the served name), hosted servers are watched for an exit.

    Attaching yields the URLs as they are (checked first with ``--attach``); hosting
    (``--gpus``) starts the servers and stops them on exit (:mod:`workers.serving.hosting`).

    Raises:
        ConfigError: when there is nothing to attach to and no way to host.
    """
    if options.gpus and options.attach:
        raise ConfigError("give either --gpus (host the model) or --attach, not both")
    if options.gpus:
        from workers.serving.hosting import hosted_model

        with hosted_model(
            settings,
            spec,
            gpus=options.gpus,
            backend=options.backend,
            tensor_parallel=options.tensor_parallel,
            replicas_per_gpu=options.replicas_per_gpu,
        ) as servers:
            urls = [server.base_url for server in servers if server.base_url]
            yield Endpoints(urls, alive=lambda: hosted_alive(servers))
        return
    attach = attach_endpoint(settings, options)
    if options.attach:
        from workers.serving.readiness import check_attached

        assert attach is not None  # attach_endpoint always answers when --attach is given
        for url in attach.split(","):
            if url.strip():
                base_url = normalise_base_url(url)
                check_attached(
                    base_url,
                    served_name=spec.request_model,
                    api_key=_key_for(settings, spec, base_url),
                    deadline_s=options.attach_wait_s,
                )
    if attach:
        urls = [normalise_base_url(u) for u in attach.split(",") if u.strip()]
    else:
        urls = [e.base_url for e in spec.endpoints]
    if not urls and not endpoint_backend_for(spec.backend).url:
        urls = []
    elif not urls:
        raise ConfigError(
            f"model {spec.key!r} has no endpoint: pass --endpoint URL, set VLLM_ENDPOINT or "
            "VLLM_PORT, or host it with --gpus"
        )
    if attach and urls:
        key = _key_for(settings, spec, urls[0])
        yield Endpoints(urls, verify=served_name_check(urls, spec.request_model, key))
        return
    yield Endpoints(urls)


def _key_for(settings: Settings, spec: ModelSpec, base_url: str) -> str | None:
    """The key the worker sends to ``base_url``.

    The model's ``api_key_env`` (``--api-key-env`` or the registry), else only the key paired
    with that URL (:mod:`farm.endpoints.env`).
    """
    named = spec.endpoints[0].api_key_env if spec.endpoints else None
    return resolve_api_key(EndpointConfig(base_url=base_url, api_key_env=named), settings=settings)


def with_endpoints(spec: ModelSpec, urls: list[str]) -> ModelSpec:
    """``spec`` talking to ``urls`` (kept as is when they are the spec's own endpoints)."""
    if [e.base_url for e in spec.endpoints] == urls:
        return spec
    return spec.model_copy(update={"endpoints": [EndpointConfig(base_url=u) for u in urls]})
