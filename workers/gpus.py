"""GPU slots of a worker host: which GPUs exist, and how replicas are laid over them.

A slot is what one server replica gets: one GPU, a tensor-parallel group of GPUs, or a share
of one GPU when several replicas are packed onto it (``--replicas-per-gpu``). Discovery asks
``nvidia-smi``; nothing here imports torch or initialises CUDA in the worker process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from farm.errors import ConfigError, ServingError

#: A GPU as CUDA_VISIBLE_DEVICES names it: an index, or a UUID / MIG id.
Device = int | str


@dataclass(frozen=True)
class GpuSlot:
    """The GPUs one server replica runs on.

    Attributes:
        devices: the server's ``CUDA_VISIBLE_DEVICES`` entries: indices as ``nvidia-smi``
            numbers them (``CUDA_DEVICE_ORDER=PCI_BUS_ID``), or UUIDs inherited from a job.
        replica: the replica number on these devices (0 unless GPUs are shared).
        share: how many replicas share these devices.
    """

    devices: tuple[Device, ...]
    replica: int = 0
    share: int = 1

    @property
    def name(self) -> str:
        """A stable name for pidfiles and logs: ``gpu0``, ``gpu0-1``, ``gpu0.r1``, ``cpu``."""
        parts = "-".join(re.sub(r"[^A-Za-z0-9]", "", str(d))[:12] for d in self.devices)
        base = "gpu" + parts if self.devices else "cpu"
        return base if self.share == 1 else f"{base}.r{self.replica}"


def visible_gpus(nvidia_smi: str = "nvidia-smi") -> list[int]:
    """The GPU indices ``nvidia-smi`` reports.

    Raises:
        ServingError: when nvidia-smi is not installed, fails, or reports no GPU.
    """
    exe = shutil.which(nvidia_smi)
    if exe is None:
        raise ServingError(
            "--gpus all needs nvidia-smi, which is not on PATH (no NVIDIA driver on this "
            "host?); list GPU ids explicitly or use --endpoint to attach to a server"
        )
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments
            [exe, "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        raise ServingError(f"nvidia-smi failed: {exc}") from exc
    ids = [int(line.strip()) for line in out.splitlines() if line.strip().isdigit()]
    if not ids:
        raise ServingError("nvidia-smi reports no GPU on this host")
    return ids


def parse_gpus(value: str, *, discover: Callable[[], list[int]] = visible_gpus) -> list[Device]:
    """The GPUs that ``--gpus`` names: ``"all"``, comma-separated indices, or ``"none"``.

    ``none`` hosts without a GPU (CPU servers such as llama.cpp): one slot that sees no GPU.

    When the worker itself runs with ``CUDA_VISIBLE_DEVICES`` set (a SLURM or container
    allocation), indices count within that list, as CUDA counts them, and ``all`` is the
    whole list; the servers get the inherited entries. Otherwise ``all`` asks nvidia-smi.
    """
    inherited = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    inherited = [d for d in inherited if d]
    text = value.strip().lower()
    if text == "none":
        return []
    if text == "all":
        return [_as_device(d) for d in inherited] if inherited else list(discover())
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--gpus {value!r}: give 'all', 'none' or indices such as 0,1") from None
    if not ids or any(i < 0 for i in ids):
        raise ConfigError(f"--gpus {value!r}: give 'all', 'none' or indices such as 0,1")
    if len(set(ids)) != len(ids):
        raise ConfigError(f"--gpus {value!r} names a GPU twice")
    if not inherited:
        return list(ids)
    if max(ids) >= len(inherited):
        raise ConfigError(
            f"--gpus {value!r}: only {len(inherited)} GPUs are visible to this worker "
            f"(CUDA_VISIBLE_DEVICES={','.join(inherited)})"
        )
    return [_as_device(inherited[i]) for i in ids]


def _as_device(entry: str) -> Device:
    return int(entry) if entry.isdigit() else entry


def plan_slots(
    gpus: list[Device], *, tensor_parallel: int = 1, replicas_per_gpu: int = 1
) -> list[GpuSlot]:
    """Lay replicas over ``gpus``: one per GPU, one per TP group, or several per GPU.

    No GPUs (``--gpus none``) gives ``replicas_per_gpu`` replicas that see no GPU.

    Raises:
        ConfigError: when the GPUs do not divide into tensor-parallel groups, or
            replicas per GPU is combined with tensor parallelism.
    """
    if tensor_parallel < 1 or replicas_per_gpu < 1:
        raise ConfigError("--tensor-parallel and --replicas-per-gpu must be at least 1")
    if tensor_parallel > 1 and replicas_per_gpu > 1:
        raise ConfigError("--replicas-per-gpu cannot be combined with --tensor-parallel > 1")
    if not gpus:
        return [
            GpuSlot(devices=(), replica=r, share=replicas_per_gpu) for r in range(replicas_per_gpu)
        ]
    if len(gpus) % tensor_parallel:
        raise ConfigError(
            f"{len(gpus)} GPUs do not divide into tensor-parallel groups of {tensor_parallel}"
        )
    if tensor_parallel > 1:
        return [
            GpuSlot(devices=tuple(gpus[i : i + tensor_parallel]))
            for i in range(0, len(gpus), tensor_parallel)
        ]
    return [
        GpuSlot(devices=(gpu,), replica=r, share=replicas_per_gpu)
        for gpu in gpus
        for r in range(replicas_per_gpu)
    ]


def gpu_processes(devices: tuple[Device, ...], nvidia_smi: str = "nvidia-smi") -> list[str]:
    """Compute processes on ``devices`` as "pid (MiB)" strings; [] without nvidia-smi.

    Best effort: used to warn when a GPU is busy before a launch, or still busy after a
    stop (an orphaned ``VLLM::EngineCore`` holding memory).
    """
    exe = shutil.which(nvidia_smi)
    if exe is None or not devices:
        return []
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments
            [
                exe,
                "--query-compute-apps=pid,used_memory",
                "--format=csv,noheader,nounits",
                "-i",
                ",".join(str(d) for d in devices),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return []
    found = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit():
            found.append(f"pid {parts[0]} ({parts[1]} MiB)")
    return found
