"""Build a throwaway virtualenv holding the official BFCL scorer (bfcl-eval).

The farm never imports ``bfcl_eval``; this environment exists only so that bench
scripts (agreement, speed) can run ``bfcl evaluate`` side by side with the farm.

Usage: ``python bench/bfcl_env.py`` (or ``nohup python bench/bfcl_env.py &``).
The venv path is ``$FARM_BFCL_VENV`` (default ``/tmp/bfcl-venv``); ``<venv>/.ready``
is created once everything is installed, so other scripts can wait for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BFCL_VERSION = "2026.3.23"
TORCH_VERSION = "2.13.0"


def default_venv() -> Path:
    """Return the venv path from ``FARM_BFCL_VENV`` or the default."""
    return Path(os.environ.get("FARM_BFCL_VENV", "/tmp/bfcl-venv"))


def bfcl_executable(path: Path) -> Path:
    """Return the ``bfcl`` console script inside the venv at ``path``."""
    return path / "bin" / "bfcl"


def _pip(venv: Path, *args: str) -> None:
    cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *args]
    subprocess.run(cmd, check=True)


def ensure_bfcl_venv(path: Path | None = None) -> Path:
    """Create (once) a venv with bfcl-eval installed and return its ``bfcl`` executable.

    Args:
        path: Where the venv lives; defaults to ``$FARM_BFCL_VENV`` or /tmp/bfcl-venv.

    Returns:
        Path of the venv's ``bfcl`` executable.
    """
    venv = path if path is not None else default_venv()
    ready = venv / ".ready"
    if ready.exists():
        return bfcl_executable(venv)
    lock = venv.with_name(venv.name + ".lock")
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        # Another process is building it: wait for it to finish.
        for _ in range(3600):
            if ready.exists():
                return bfcl_executable(venv)
            if not lock.exists():
                return ensure_bfcl_venv(venv)
            time.sleep(1)
        raise TimeoutError(f"timed out waiting for {ready}") from None
    try:
        os.close(fd)
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        _pip(venv, f"torch=={TORCH_VERSION}")
        _pip(venv, "soundfile")
        wheel = Path(os.environ.get("FARM_BFCL_WHEEL", ""))
        target = str(wheel) if wheel.is_file() else f"bfcl-eval=={BFCL_VERSION}"
        _pip(venv, target)
        ready.touch()
    finally:
        lock.unlink(missing_ok=True)
    return bfcl_executable(venv)


if __name__ == "__main__":
    print(ensure_bfcl_venv())
