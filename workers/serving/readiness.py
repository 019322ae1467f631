"""Readiness and identity checks of a model server, hosted or attached.

Ready means, in this order, before a deadline: the process is alive, ``GET /health`` answers
200, ``GET /v1/models`` lists the expected names (including the per-launch nonce alias, which
proves the port is answered by *our* process and not a server sharing it), and one warm-up
chat request with ``max_tokens=1`` succeeds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

from farm.errors import ServingError
from workers.serving.process import ServerProcess


class ServingRefused(ServingError):
    """The server answered but refuses us (authentication): waiting will not help."""


def server_root(base_url: str) -> str:
    """``http://h:p/v1`` -> ``http://h:p`` (where ``/health`` lives)."""
    return base_url.rstrip("/").removesuffix("/v1")


#: Known failure signatures in a server's log, and what to do about them.
FAILURE_HINTS: tuple[tuple[str, str], ...] = (
    (
        "less than desired GPU memory utilization",
        "another process holds GPU memory: an orphaned server? check nvidia-smi, or lower "
        "gpu_memory_utilization",
    ),
    ("CUDA out of memory", "out of GPU memory: lower max_model_len or raise tensor parallelism"),
    ("OutOfMemoryError", "out of GPU memory: lower max_model_len or raise tensor parallelism"),
    (
        "larger than the maximum number of tokens that can be stored in KV cache",
        "KV cache too small for max_model_len: lower it or raise gpu_memory_utilization",
    ),
    ("estimated maximum model length", "KV cache too small for max_model_len: lower it"),
    ("invalid choice", "an argument value the server does not know (parser name?)"),
    ("unrecognized arguments", "an argument the server does not know (check extra_args)"),
    ("OfflineModeIsEnabled", "offline and the model is not local: import it into the store"),
    ("LocalEntryNotFoundError", "offline and the model is not local: import it into the store"),
    ("Address already in use", "a port clash (another server on this host?)"),
    ("No module named 'vllm'", "vLLM is not installed in this Python (FARM_SERVER_COMMAND?)"),
    ("No module named 'sglang'", "SGLang is not installed in this Python"),
    (
        "failed to load model",
        "llama.cpp could not load the GGUF file: damaged, or an architecture this build "
        "does not know",
    ),
    ("error while loading shared libraries", "the server's shared libraries are missing"),
)


def failure_hint(log_tail: str) -> str | None:
    """The hint for the last known failure signature in ``log_tail``, if any."""
    found: tuple[int, str] | None = None
    for needle, hint in FAILURE_HINTS:
        where = log_tail.rfind(needle)
        if where >= 0 and (found is None or where > found[0]):
            found = (where, hint)
    return found[1] if found else None


def startup_failure(proc: ServerProcess, headline: str, *, lines: int = 30) -> ServingError:
    """A :class:`ServingError` quoting the exact command and the tail of the server's log."""
    text = proc.log_tail(lines)
    hint = failure_hint(text)
    if hint:
        headline = f"{headline} (likely: {hint})"
    quoted = "\n".join(f"    | {line}" for line in text.splitlines())
    return ServingError(
        f"{headline}\n  command: {proc.command_line}\n  log: {proc.log_path}\n"
        f"  last lines of the log:\n{quoted or '    | (empty)'}"
    )


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def model_entries(client: httpx.Client, base_url: str) -> list[dict[str, Any]]:
    """The entries ``/v1/models`` lists; :class:`ServingError` if it is not a model list."""
    response = client.get(f"{base_url.rstrip('/')}/models")
    if response.status_code in (401, 403):
        raise ServingRefused(
            f"{base_url}/models answered HTTP {response.status_code}: the server wants an API "
            "key (name its variable with the model's api_key_env)"
        )
    if response.status_code != 200:
        raise ServingError(f"{base_url}/models answered HTTP {response.status_code}")
    try:
        data = response.json()["data"]
        return [dict(item) for item in data if "id" in item]
    except (ValueError, KeyError, TypeError) as exc:
        raise ServingError(f"{base_url}/models did not return a model list") from exc


def entry_names(entry: dict[str, Any]) -> list[str]:
    """The names one ``/v1/models`` entry answers to: its id and its ``aliases`` (llama.cpp)."""
    aliases = entry.get("aliases")
    extra = [str(a) for a in aliases] if isinstance(aliases, list) else []
    return [str(entry["id"]), *extra]


def listed_models(client: httpx.Client, base_url: str) -> list[str]:
    """The model names ``/v1/models`` lists (ids and aliases)."""
    return [name for item in model_entries(client, base_url) for name in entry_names(item)]


def warm_up(client: httpx.Client, base_url: str, model: str) -> None:
    """Send one one-token chat request; :class:`ServingError` unless it succeeds."""
    response = client.post(
        f"{base_url.rstrip('/')}/chat/completions",
        json={
            "model": model,
            "messages": [{"role": "user", "content": "Reply with one word."}],
            "max_tokens": 1,
            "temperature": 0,
        },
    )
    if response.status_code != 200:
        raise ServingError(
            f"warm-up request to {base_url} failed with HTTP {response.status_code}: "
            f"{response.text[:200]}"
        )


def wait_until_ready(
    proc: ServerProcess,
    *,
    base_url: str,
    names: Sequence[str],
    deadline_s: float,
    what: str,
    api_key: str | None = None,
    warmup: bool = True,
    poll_s: float = 0.5,
    cancel: threading.Event | None = None,
    max_model_len: int | None = None,
) -> float:
    """Block until the server ``proc`` is ready; return the seconds it took.

    ``names`` must all be listed by ``/v1/models``; with ``max_model_len`` the first name's
    entry must report that context length.

    Raises:
        ServingError: when the process exits, another server answers the port, the
            warm-up fails, or ``deadline_s`` passes; the message quotes the command and the
            log tail; or when ``cancel`` is set (the worker is stopping). The caller stops
            the process.
    """
    started = time.monotonic()
    deadline = started + deadline_s
    root = server_root(base_url)
    timeout = httpx.Timeout(5.0, connect=2.0)
    with httpx.Client(timeout=timeout, headers=_headers(api_key), trust_env=False) as client:
        healthy = False
        while True:
            code = proc.exit_code()
            if code is not None:
                raise startup_failure(proc, f"{what} exited with status {code} before it was ready")
            if cancel is not None and cancel.is_set():
                raise ServingError(f"{what}: startup cancelled")
            if time.monotonic() >= deadline:
                stage = (
                    "answered /health but not the checks after it"
                    if healthy
                    else ("never answered /health")
                )
                raise startup_failure(
                    proc, f"{what} was not ready within {deadline_s:g} s ({stage})"
                )
            try:
                healthy = client.get(f"{root}/health").status_code == 200
                if healthy:
                    break
            except httpx.HTTPError:
                pass
            if cancel is not None:
                cancel.wait(poll_s)
            else:
                time.sleep(poll_s)
        try:
            entries = model_entries(client, base_url)
            listed = [name for entry in entries for name in entry_names(entry)]
            missing = [name for name in names if name not in listed]
            if missing:
                raise startup_failure(
                    proc,
                    f"{what}: the server on {base_url} does not list {', '.join(missing)} "
                    f"(it lists {', '.join(listed) or 'nothing'}); another server answers "
                    "this port",
                )
            served = next(entry for entry in entries if names[0] in entry_names(entry))
            if max_model_len and served.get("max_model_len") not in (None, max_model_len):
                raise startup_failure(
                    proc,
                    f"{what}: the server reports max_model_len {served['max_model_len']}, "
                    f"expected {max_model_len}",
                )
            if warmup:
                warm_up(client, base_url, names[-1])
        except httpx.HTTPError as exc:
            raise startup_failure(proc, f"{what}: readiness check failed: {exc}") from exc
        except ServingError as exc:
            if "last lines of the log" in exc.message:
                raise
            raise startup_failure(proc, f"{what}: {exc.message}") from exc
    return time.monotonic() - started


def check_attached(
    base_url: str,
    *,
    served_name: str | None,
    deadline_s: float = 30.0,
    api_key: str | None = None,
) -> list[str]:
    """Check an endpoint the farm did not start: it answers and serves ``served_name``.

    Retries until ``deadline_s`` (the server may still be loading) and returns the listed
    model ids. Raises :class:`ServingError` when it never answers or lists another model.
    """
    deadline = time.monotonic() + deadline_s
    last = "no answer"
    timeout = httpx.Timeout(5.0, connect=2.0)
    with httpx.Client(timeout=timeout, headers=_headers(api_key), trust_env=False) as client:
        while time.monotonic() < deadline:
            try:
                listed = listed_models(client, base_url)
            except ServingRefused:
                raise
            except (httpx.HTTPError, ServingError) as exc:
                last = str(exc) or type(exc).__name__
                time.sleep(0.5)
                continue
            if served_name and served_name not in listed:
                raise ServingError(
                    f"endpoint {base_url} does not serve {served_name!r} "
                    f"(it lists {', '.join(listed) or 'nothing'})"
                )
            return listed
    raise ServingError(f"endpoint {base_url} is not answering after {deadline_s:g} s ({last})")
