"""Option groups shared by the run commands, as decorators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from farm.config import Settings
from farm.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


class CallFormatChoice(click.Choice):  # type: ignore[type-arg]
    """``--mode``: a registered call format (``fc``, ``prompt``, ...), listed when first used."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        """The registered format names (:func:`farm.formats.format_names`)."""
        from farm.formats import format_names

        return format_names()

    @choices.setter
    def choices(self, value: Any) -> None:
        del value  # click's constructor assigns the (empty) list; the registry is the source


def call_format_option(func: F) -> F:
    """--call-format NAME: fc, prompt or a family format (client-side parsing of text)."""
    return click.option(
        "--call-format",
        metavar="NAME",
        help="How calls are offered and read: fc, prompt, or a model family's text syntax "
        "that the client parses when the server returns no tool_calls (hermes, qwen3_coder, "
        "glm4, glm45, llama3_json, pythonic, mistral, json, ...). Default: the model's.",
    )(func)


def strict_option(func: F) -> F:
    """--strict: refuse to start when the endpoint's start-up probe finds a problem."""
    return click.option(
        "--strict",
        is_flag=True,
        help="Refuse to start when the endpoint answers the start-up tool-calling probe "
        "badly (e.g. calls as text); without it, a warning.",
    )(func)


def run_options(func: F) -> F:
    """--model, --mode, --call-format, --suite, --categories, --shard-size, --label."""
    decorators = [
        click.option("--model", "-m", required=True, help="Model name (preset or models.toml)."),
        click.option(
            "--mode",
            type=CallFormatChoice(),
            help="Call format: fc or prompt (a family format too, as --call-format).",
        ),
        call_format_option,
        click.option("--suite", default="bfcl", show_default=True, help="Suite, e.g. bfcl@V."),
        click.option(
            "--categories",
            "-c",
            default="all",
            show_default=True,
            help="Comma-separated categories or groups (single_turn, live, multi_turn...).",
        ),
        click.option("--shard-size", type=int, help="Cases per shard [env FARM_SHARD_SIZE]."),
        click.option("--label", help="A free-text label shown in 'farm runs'."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def selection_options(func: F) -> F:
    """--cases, --sample, --seed, --subset, --repeats, --repeat-seeds (see docs/suites.md)."""
    decorators = [
        click.option(
            "--cases",
            "cases",
            multiple=True,
            help="Only these cases: ids, ranges (simple_python_0-49) or globs, comma-separated.",
        ),
        click.option("--subset", help="Only the cases of this named subset ('farm subsets')."),
        click.option(
            "--sample",
            type=click.IntRange(min=1),
            metavar="N",
            help="Draw N of the chosen cases, stratified by category.",
        ),
        click.option(
            "--seed",
            "sample_seed",
            type=int,
            default=0,
            show_default=True,
            help="Seed of --sample: the same seed picks the same cases.",
        ),
        click.option(
            "--repeats",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            metavar="K",
            help="Run every case K times (K linked runs): mean, pass@k, pass^k, flaky cases.",
        ),
        click.option(
            "--repeat-seeds/--no-repeat-seeds",
            default=True,
            show_default=True,
            help="Send each repeat its own 'seed' (off for an endpoint that rejects it).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def case_filter(cases: tuple[str, ...], subset: str | None, sample: int | None, seed: int) -> Any:
    """The run's :class:`~farm.suites.subsets.CaseFilter`, or None when no option is given."""
    from farm.suites.subsets import CaseFilter

    flt = CaseFilter(tuple(cases), sample, seed, subset)
    return flt if flt else None


def retrieval_options(func: F) -> F:
    """--tool-retrieval K and --embedding-model NAME."""
    func = click.option(
        "--embedding-model",
        help="Served name of the embedding model for --tool-retrieval "
        "[env EMBEDDING_MODEL; default text-embedding-3-small].",
    )(func)
    return click.option(
        "--tool-retrieval",
        type=click.IntRange(min=1),
        metavar="K",
        help="Offer only the K functions most similar to the question (embeddings from "
        "EMBEDDING_BASE_URL, else OPENAI_BASE_URL). Off by default; recorded with the run.",
    )(func)


def retrieval_run_options(
    k: int | None, embedding_model: str | None, settings: Settings
) -> dict[str, Any]:
    """The run options recording tool retrieval (empty when it is off).

    The model is ``--embedding-model``, else ``EMBEDDING_MODEL`` (environment, then ``.env``),
    else ``text-embedding-3-small``.
    """
    from farm.shards import DEFAULT_EMBEDDING_MODEL

    if k is None:
        return {}
    chosen = embedding_model or settings.embedding_model or DEFAULT_EMBEDDING_MODEL
    return {"tool_retrieval": k, "embedding_model": chosen}


def producer_model(
    settings: Settings, name: str, mode: str | None, call_format: str | None = None
) -> Any:
    """The model a run is planned for; its endpoints do not matter to the producer.

    ``--call-format`` wins over ``--mode`` (see :func:`farm.models.registry.choose_mode`).

    Raises:
        ConfigError: for an unknown model given without ``--mode``, or a bad call format.
    """
    from farm.models.registry import ModelSpec, choose_mode, lookup_model

    mode = choose_mode(mode, call_format)
    try:
        spec = lookup_model(settings, name)
    except ConfigError as exc:
        if not exc.message.startswith("unknown model"):
            raise
        if mode is None:
            raise ConfigError(
                f"unknown model {name!r}: give --mode fc|prompt to submit an ad-hoc model (its "
                f"workers give --endpoint), or add it to {settings.resolved_models_file}"
            ) from exc
        return ModelSpec(key=name, display_name=name, mode=mode, served_name=name)
    return spec.model_copy(update={"mode": mode}) if mode else spec


def split_categories(text: str) -> list[str]:
    """``a,b, c`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in text.split(",") if part.strip()]
