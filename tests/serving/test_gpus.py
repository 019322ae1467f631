"""GPU slot discovery and the layout of replicas over GPUs."""

from __future__ import annotations

import os

import pytest

from farm.errors import ConfigError, ServingError
from workers.gpus import GpuSlot, parse_gpus, plan_slots, visible_gpus


def test_explicit_gpu_lists_are_parsed_and_checked():
    assert parse_gpus("0,1") == [0, 1]
    assert parse_gpus(" 3 ") == [3]
    for bad in ("x", "", "-1", "0,0"):
        with pytest.raises(ConfigError):
            parse_gpus(bad)


def test_all_gpus_come_from_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nprintf '0\\n1\\n2\\n3\\n'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert parse_gpus("all") == [0, 1, 2, 3]


def test_all_gpus_without_nvidia_smi_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServingError, match="needs nvidia-smi, which is not on PATH"):
        visible_gpus()


def test_one_replica_per_gpu_or_per_tensor_parallel_group():
    assert plan_slots([0, 1]) == [GpuSlot((0,)), GpuSlot((1,))]
    assert plan_slots([0, 1, 2, 3], tensor_parallel=2) == [GpuSlot((0, 1)), GpuSlot((2, 3))]
    assert [s.name for s in plan_slots([0, 1, 2, 3], tensor_parallel=2)] == ["gpu0-1", "gpu2-3"]
    shared = plan_slots([5], replicas_per_gpu=2)
    assert [s.name for s in shared] == ["gpu5.r0", "gpu5.r1"] and shared[0].share == 2


def test_impossible_layouts_are_refused():
    with pytest.raises(ConfigError, match="do not divide"):
        plan_slots([0, 1, 2], tensor_parallel=2)
    with pytest.raises(ConfigError, match="cannot be combined"):
        plan_slots([0, 1], tensor_parallel=2, replicas_per_gpu=2)


def test_inside_an_allocation_gpu_indices_count_within_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,6")
    assert parse_gpus("all") == [4, 6]
    assert parse_gpus("1") == [6]
    with pytest.raises(ConfigError, match="only 2 GPUs are visible"):
        parse_gpus("0,2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-8a3b1c2d-aaaa,MIG-1f2e")
    slots = plan_slots(parse_gpus("all"))
    assert [s.devices for s in slots] == [("GPU-8a3b1c2d-aaaa",), ("MIG-1f2e",)]
    assert [s.name for s in slots] == ["gpuGPU8a3b1c2da", "gpuMIG1f2e"]


def test_processes_on_a_gpu_are_listed_through_nvidia_smi(tmp_path, monkeypatch):
    from workers.gpus import gpu_processes

    fake = tmp_path / "nvidia-smi"
    fake.write_text(
        '#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\nprintf "4242, 71000\\n4343, 512\\n"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert gpu_processes((0, 1)) == ["pid 4242 (71000 MiB)", "pid 4343 (512 MiB)"]
    assert (tmp_path / "args").read_text().split()[-2:] == ["-i", "0,1"]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert gpu_processes((0,)) == []


def test_a_busy_gpu_is_reported_before_launch_and_after_stop(
    tmp_path, monkeypatch, host_options, launch, caplog
):
    from workers.serving.host import ModelServer

    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "777, 1024\\n"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    caplog.set_level("WARNING", logger="workers.serving.host")
    with ModelServer(launch, options=host_options(), slot=GpuSlot((0,))):
        pass
    messages = [r.getMessage() for r in caplog.records]
    assert "GPU gpu0 is already in use: pid 777 (1024 MiB)" in messages
    assert "GPU gpu0 still has processes after the server stopped: pid 777 (1024 MiB)" in messages
