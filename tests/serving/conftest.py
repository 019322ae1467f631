"""Fixtures for serving tests: the stand-in vLLM executable and host options around it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workers.serving.host import HostOptions
from workers.serving.spec import LaunchSpec

STANDIN = Path(__file__).resolve().parent / "standin" / "vllm"


@pytest.fixture(autouse=True)
def no_inherited_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose GPUs themselves; an allocation of the machine running them must not leak."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return tmp_path / "run"


@pytest.fixture
def host_options(run_dir: Path) -> Callable[..., HostOptions]:
    """HostOptions that launch the stand-in; keyword arguments override fields."""

    def make(**changes: Any) -> HostOptions:
        fields: dict[str, Any] = {
            "run_dir": run_dir,
            "launcher": (sys.executable, str(STANDIN)),
            "ready_timeout": 20.0,
            "stop_grace": 3.0,
        }
        fields.update(changes)
        return HostOptions(**fields)

    return make


@pytest.fixture
def launch() -> LaunchSpec:
    return LaunchSpec(model="org/tiny-model", served_name="tiny", tool_call_parser="hermes")


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
