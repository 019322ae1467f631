"""`farm models ...` as a user runs it, in a fresh process."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from farm.cli.main import cli
from tests.conftest import run_farm
from tests.serving.test_store import make_model_dir


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def farm(monkeypatch):
    """Run the CLI in this process (fast); env entries are set for the one call."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke


def test_import_list_verify_pack_and_unpack_into_another_home(farm_home, tmp_path, farm):
    source = make_model_dir(tmp_path / "src")
    done = farm("models", "import", str(source), "--name", "tiny")
    assert done.returncode == 0, done.stderr
    assert "imported tiny: 7 files" in done.stdout
    listed = farm("models", "list", "--json")
    assert json.loads(listed.stdout.splitlines()[-1])[0]["name"] == "tiny"
    assert "7 files verified" in farm("models", "verify", "tiny").stdout
    pack = tmp_path / "tiny.tar"
    assert farm("models", "pack", "tiny", str(pack)).returncode == 0
    other = {"FARM_HOME": str(tmp_path / "elsewhere")}
    unpacked = farm("models", "unpack", str(pack), env=other)
    assert unpacked.returncode == 0, unpacked.stderr
    assert "7 files verified" in farm("models", "verify", "tiny", env=other).stdout


def test_a_corrupted_store_fails_verify_with_one_line(farm_home, tmp_path):
    run_farm("models", "import", str(make_model_dir(tmp_path / "src")), "--name", "tiny")
    weights = farm_home / "models" / "tiny" / "model" / "model-00002-of-00002.safetensors"
    weights.write_bytes(b"\x00" * weights.stat().st_size)
    done = run_farm("models", "verify", "tiny")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "farm: error: model 'tiny' is damaged (corrupt: model-00002-of-00002.safetensors)"
    )
    assert "Traceback" not in done.stderr


def test_bad_input_gives_one_line_errors(farm_home, tmp_path, farm):
    done = farm("models", "verify", "ghost")
    assert done.returncode != 0 and done.stderr.startswith("farm: error: model 'ghost'")
    done = farm("models", "import", str(tmp_path), "--name", "x")
    assert "no config.json" in done.stderr and "Traceback" not in done.stderr
    done = farm("models", "unpack", str(tmp_path / "missing.tar"))
    assert "no such pack file" in done.stderr


def test_presets_are_listed_with_their_parsers(farm_home, farm):
    done = farm("models", "presets", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout.splitlines()[-1])}
    assert rows["llama-3.1-8b-instruct"]["tool_call_parser"] == "llama3_json"
    assert rows["glm-4-9b-chat"]["mode"] == "glm4"  # FC, calls parsed by the client
    assert rows["glm-4-9b-chat"]["call_format"] == "glm4"
    table = farm("models", "presets")
    assert "checked against vLLM 0.12.0" in table.stdout
