"""Command-line options of GPU hosting, shared by ``farm worker`` and ``farm models serve``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from farm.backends import DEFAULT_SERVER_BACKEND, server_backend_names

F = TypeVar("F", bound=Callable[..., Any])


def hosting_options(func: F) -> F:
    """--gpus, --backend, --tensor-parallel, --replicas-per-gpu, --attach/--skip-vllm."""
    decorators = [
        click.option(
            "--gpus",
            help="Host the model on these GPUs: indices such as 0,1, 'all', or 'none' (CPU).",
        ),
        click.option(
            "--backend",
            type=click.Choice(server_backend_names()),
            help="Server to host with "
            f"[default: the model's backend, else {DEFAULT_SERVER_BACKEND}].",
        ),
        click.option(
            "--tensor-parallel", type=int, help="GPUs per replica [default: the model's]."
        ),
        click.option(
            "--replicas-per-gpu",
            type=int,
            default=1,
            show_default=True,
            help="Replicas packed onto each GPU (memory fraction divided among them).",
        ),
        click.option(
            "--attach",
            "--skip-vllm",
            "attach",
            is_flag=True,
            help="Never host: attach to VLLM_ENDPOINT / VLLM_PORT after a health check.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func
