"""Endpoint variables in ``.env`` reach the commands that use them (issue: they were ignored)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_farm
from tests.inference.test_cli import simulate


def test_endpoints_check_and_doctor_read_vllm_and_completion_variables_from_dotenv(
    farm_home: Path, tmp_path: Path, single_turn
) -> None:
    from farm.simulator.server import cases_to_json

    cases_file = tmp_path / "cases.json"
    cases_file.write_text(cases_to_json(single_turn))
    with simulate("--cases-file", str(cases_file)) as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
        Path(".env").write_text(
            f"VLLM_ENDPOINT=127.0.0.1\nVLLM_PORT={port}\nCOMPLETION_BASE_URL={url}\n"
        )
        done = run_farm("endpoints", "check")
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert f"ok      completion (env) {url}: healthy; models: farm-simulator" in lines
        assert f"ok      vllm attach (env) {url}: healthy; models: farm-simulator" in lines
    Path(".env").write_text("VLLM_PORT=eighty\n")
    bad = run_farm("endpoints", "check")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "VLLM_PORT='eighty' is not a port number" in bad.stderr
