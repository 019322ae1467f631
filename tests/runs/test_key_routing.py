"""Keys go only where they belong: recording servers on loopback see each request's
``Authorization`` header, for ``farm run``, a real worker and the embedding client.

A shell's ``OPENAI_API_KEY`` (and ``COMPLETION_API_KEY``) must never reach an
``--endpoint``; ``--api-key-env`` and the registry's ``api_key_env`` are the only ways to
give one a key; each key variable goes only to the URL variable it is paired with, and all of
this holds when the variables live in ``.env``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select

from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result, Run
from farm.simulator.config import SimulatorConfig
from farm.simulator.server import running_simulator
from farm.suites.store import load_cases
from tests.conftest import run_farm
from tests.fixtures.minisuite import load_mini_suite
from tests.runs.conftest import Workers, farm_cli, wait_until
from tests.runs.recorder import recording_proxy

SHELL = {"OPENAI_API_KEY": "sk-shell-openai", "COMPLETION_API_KEY": "sk-shell-completion"}
SHELL_OPENAI = {"OPENAI_API_KEY": "sk-shell-openai"}
MULTIPLE = "multiple,parallel_multiple"
#: A registry model without endpoints: it is served by the environment's URL.
BARE = '[models.bare]\nserved_name = "farm-simulator"\nmode = "fc"\n'


def _run(suite_version: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = run_farm(
        "run", *args, "--suite", f"bfcl@{suite_version}", "-c", MULTIPLE, "--json", env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_farm_run_sends_each_key_only_to_its_own_url(farm_home: Path) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=MULTIPLE.split(","))
    engine.dispose()
    with (
        running_simulator(cases, SimulatorConfig()) as sim,
        recording_proxy(sim.base_url) as stranger,
        recording_proxy(sim.base_url) as home,
        recording_proxy(sim.base_url) as embedder,
    ):
        # A colleague's server given by --endpoint gets nothing from the shell, even with
        # OPENAI_BASE_URL (in .env) pointing elsewhere.
        Path(".env").write_text(f"OPENAI_BASE_URL={home.base_url}\n")
        _run(suite.version, "--model", "simulator", "--endpoint", stranger.base_url, env=SHELL)
        assert stranger.authorizations == {""}
        assert home.authorizations == set()

        # OPENAI_BASE_URL from .env serves a model without endpoints; with COMPLETION_BASE_URL
        # unset, the completion key (else OPENAI_API_KEY) goes with it.
        farm_home.mkdir(parents=True, exist_ok=True)
        (farm_home / "models.toml").write_text(BARE)
        _run(suite.version, "--model", "bare", env=SHELL)
        assert home.authorizations == {"Bearer sk-shell-completion"}
        home.authorizations.clear()
        _run(suite.version, "--model", "bare", env=SHELL_OPENAI)
        assert home.authorizations == {"Bearer sk-shell-openai"}

        # --api-key-env names the key, which may live in .env.
        Path(".env").write_text("MINE=sk-mine\n")
        stranger.authorizations.clear()
        _run(
            suite.version, "--model", "simulator", "--endpoint", stranger.base_url,
            "--api-key-env", "MINE", env=SHELL,
        )  # fmt: skip
        assert stranger.authorizations == {"Bearer sk-mine"}

        # A registry endpoint gets the key its api_key_env names, and only that.
        (farm_home / "models.toml").write_text(
            f'[models.reg]\nserved_name = "farm-simulator"\nmode = "fc"\n'
            f'endpoints = [{{ base_url = "{stranger.base_url}", api_key_env = "REG_KEY" }}]\n'
            f'[models.reg-nokey]\nserved_name = "farm-simulator"\nmode = "fc"\n'
            f'endpoints = [{{ base_url = "{stranger.base_url}" }}]\n'
        )
        stranger.authorizations.clear()
        _run(suite.version, "--model", "reg", env={**SHELL, "REG_KEY": "sk-registry"})
        assert stranger.authorizations == {"Bearer sk-registry"}
        stranger.authorizations.clear()
        _run(suite.version, "--model", "reg-nokey", env=SHELL)
        assert stranger.authorizations == {""}

        # Tool retrieval: the embedding endpoint (from .env) gets EMBEDDING_API_KEY only.
        Path(".env").write_text(
            f"EMBEDDING_BASE_URL={embedder.base_url}\nEMBEDDING_API_KEY=sk-embedding\n"
        )
        stranger.authorizations.clear()
        _run(
            suite.version, "--model", "simulator", "--endpoint", stranger.base_url,
            "--tool-retrieval", "1", env=SHELL,
        )  # fmt: skip
        assert embedder.authorizations == {"Bearer sk-embedding"}
        assert any("input" in body for body in embedder.bodies)
        assert stranger.authorizations == {""}


def test_the_embedding_client_without_its_own_key_sends_none(farm_home: Path) -> None:
    settings = load_settings()
    engine = open_database(settings)
    suite = load_mini_suite(settings, engine)
    with session_scope(engine) as session:
        cases = load_cases(session, suite.id, categories=MULTIPLE.split(","))
    engine.dispose()
    with (
        running_simulator(cases, SimulatorConfig()) as sim,
        recording_proxy(sim.base_url) as model,
        recording_proxy(sim.base_url) as embedder,
    ):
        # EMBEDDING_BASE_URL is its own server: OPENAI_API_KEY does not follow it there.
        env = {**SHELL, "EMBEDDING_BASE_URL": embedder.base_url}
        _run(
            suite.version, "--model", "simulator", "--endpoint", model.base_url,
            "--tool-retrieval", "1", env=env,
        )  # fmt: skip
        assert embedder.authorizations == {""} and model.authorizations == {""}


def test_a_worker_sends_a_key_only_when_told_which(
    runs_settings, runs_engine, mini_suite, suite_spec, workers: Workers
) -> None:
    with session_scope(runs_engine) as session:
        cases = load_cases(session, mini_suite.id, categories=["multiple"])
    with (
        running_simulator(cases, SimulatorConfig()) as sim,
        recording_proxy(sim.base_url) as stranger,
        recording_proxy(sim.base_url) as home,
    ):
        shell = {**SHELL, "OPENAI_BASE_URL": home.base_url, "WORKER_KEY": "sk-worker"}
        for extra, expected in (({}, ""), ({"api_key_env": "WORKER_KEY"}, "Bearer sk-worker")):
            stranger.authorizations.clear()
            done = farm_cli(
                runs_settings, "submit", "--model", "simulator", "--suite", suite_spec,
                "-c", "multiple", "--json",
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            run_id = uuid.UUID(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])
            proc = workers.start(stranger.base_url, env=shell, **extra)

            def finished(run_id: uuid.UUID = run_id) -> bool:
                with session_scope(runs_engine) as session:
                    run = session.get(Run, run_id)
                    return run is not None and run.status == "done"

            wait_until(finished, 60, "the run to finish")
            proc.terminate()
            proc.wait(15)
            assert stranger.authorizations == {expected}, workers.log(len(workers.procs) - 1)
            assert home.authorizations == set()
            with session_scope(runs_engine) as session:
                errors = session.scalars(
                    select(Result.inference_error).where(Result.run_id == run_id)
                ).all()
            assert errors and not any(errors)
