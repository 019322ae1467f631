"""Environment source is verified before it runs: the package's table of bfcl-eval releases,
the operator's list (FARM_TRUSTED_ENV_SOURCES), and a changed suite row refused in one line.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

from farm.config import load_settings
from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Result, Suite
from farm.errors import ConfigError, UntrustedSourceError
from farm.multiturn.envs import WHEEL_SOURCE_DIR, EnvironmentSources, ModuleSet
from farm.suites.bfcl import DEFAULT_VERSION
from farm.suites.trust import (
    KNOWN_SOURCES,
    KNOWN_WHEELS,
    known_digests,
    listed_digests,
    source_digest,
    trusted_digests,
)
from tests.conftest import MINI_TRUST, create_database, drop_database, run_farm
from tests.fixtures.minisuite import MINI_ROOT, load_mini_suite
from tests.multiturn.helpers import SUITE_EXTRA
from tests.multiturn.test_envs import REAL_CLASSES

EVIL = "import pathlib\npathlib.Path({marker!r}).write_text('pwned')\nclass CounterAPI:\n    pass\n"


def test_the_table_matches_the_real_wheel(bfcl_wheel: Path) -> None:
    data = bfcl_wheel.read_bytes()
    assert KNOWN_WHEELS[DEFAULT_VERSION] == hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(bfcl_wheel) as archive:
        found = {
            name[len(WHEEL_SOURCE_DIR) :]: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name.startswith(WHEEL_SOURCE_DIR)
            and name.endswith(".py")
            and "/" not in name[len(WHEEL_SOURCE_DIR) :]
        }
    assert found == KNOWN_SOURCES[DEFAULT_VERSION]
    # Loaded from the wheel, every real environment builds under the package's table alone.
    sources = EnvironmentSources.from_wheel(bfcl_wheel, trusted=known_digests())
    modules = ModuleSet(sources)
    for class_name in REAL_CLASSES:
        modules.environment_class(class_name)


def test_a_changed_source_is_refused_in_one_line_naming_the_class(farm_home: Path) -> None:
    extra = json.loads(json.dumps(SUITE_EXTRA))
    trusted = EnvironmentSources.from_suite_extra(extra)
    ModuleSet(trusted).environment_class("LedgerAPI")  # the helpers' sources are listed

    extra["multi_turn_sources"]["clock_api.py"] += "\n# one more line\n"
    changed = ModuleSet(EnvironmentSources.from_suite_extra(extra))
    with pytest.raises(UntrustedSourceError) as caught:
        changed.environment_class("ClockAPI")
    message = caught.value.message
    assert message.startswith("multi-turn class ClockAPI: environment module clock_api.py")
    assert "refusing to run it" in message and "\n" not in message
    # An imported module is checked too: LedgerAPI imports ledger_extra.py.
    extra["multi_turn_sources"]["ledger_extra.py"] += "\n"
    with pytest.raises(UntrustedSourceError, match="LedgerAPI.*ledger_extra.py"):
        ModuleSet(EnvironmentSources.from_suite_extra(extra)).environment_class("LedgerAPI")


def test_only_the_package_table_is_trusted_without_an_operator_list(
    farm_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FARM_TRUSTED_ENV_SOURCES")
    assert trusted_digests(load_settings()) == known_digests()
    with pytest.raises(UntrustedSourceError, match="LedgerAPI"):
        ModuleSet(EnvironmentSources.from_suite_extra(SUITE_EXTRA)).environment_class("LedgerAPI")


def test_the_operator_list_is_sha256sum_format_and_a_bad_one_is_one_line(
    farm_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = listed_digests(MINI_TRUST)
    for path in (MINI_ROOT / WHEEL_SOURCE_DIR).glob("*.py"):
        assert source_digest(path.read_text()) in listed, f"update {MINI_TRUST} for {path.name}"
    bad = tmp_path / "bad.sha256"
    bad.write_text("not-a-digest  x.py\n")
    monkeypatch.setenv("FARM_TRUSTED_ENV_SOURCES", str(bad))
    with pytest.raises(ConfigError, match="bad.sha256 line 1"):
        trusted_digests(load_settings())
    monkeypatch.setenv("FARM_TRUSTED_ENV_SOURCES", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot read"):
        trusted_digests(load_settings())


def test_a_tampered_suite_row_in_postgres_runs_no_code(farm_home: Path, tmp_path: Path) -> None:
    """Whoever can write the database cannot make a worker execute their code."""
    url = create_database()
    marker = tmp_path / "pwned"
    try:
        engine = make_engine(url)
        upgrade(engine)
        settings = load_settings(database_url=url)
        suite = load_mini_suite(settings, engine)
        with session_scope(engine) as session:
            row = session.get(Suite, suite.id)
            assert row is not None
            extra = dict(row.extra)
            sources = dict(extra["multi_turn_sources"])
            sources["counter_api.py"] = EVIL.format(marker=str(marker))
            extra["multi_turn_sources"] = sources
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE suites SET extra = CAST(:extra AS jsonb) WHERE id = :id"),
                {"extra": json.dumps(extra), "id": suite.id},
            )
        done = run_farm(
            "run", "--model", "fake/oracle", "--suite", f"bfcl@{suite.version}",
            "-c", "multi_turn_base", "--json",
            env={"FARM_DATABASE_URL": url},
        )  # fmt: skip
        assert not marker.exists(), "the tampered environment source was executed"
        assert "Traceback" not in done.stderr
        with session_scope(engine) as session:
            rows = session.scalars(select(Result).where(Result.category == "multi_turn_base")).all()
        counter_rows = [r for r in rows if "CounterAPI" in (r.inference_message or "")]
        assert counter_rows, [(r.case_id, r.inference_message) for r in rows]
        for result in counter_rows:
            assert result.inference_message is not None
            assert "counter_api.py" in result.inference_message
            assert "refusing to run it" in result.inference_message
            assert not result.valid
        engine.dispose()
    finally:
        drop_database(url)


def test_a_wheel_claiming_a_known_release_must_be_that_release(farm_home, tmp_path) -> None:
    from tests.fixtures.minisuite import make_mini_wheel

    fake = make_mini_wheel(tmp_path, version=DEFAULT_VERSION)
    done = run_farm("suites", "pull", "bfcl", "--wheel", str(fake))
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert f"claims bfcl-eval {DEFAULT_VERSION} but its sha256 is" in done.stderr


def test_pull_says_when_sources_are_untrusted_and_env_hashes_lists_them(
    farm_home, tmp_path, monkeypatch
) -> None:
    from tests.fixtures.minisuite import make_mini_wheel

    wheel = make_mini_wheel(tmp_path)
    hashes = run_farm("suites", "env-hashes", "--wheel", str(wheel))
    assert hashes.returncode == 0, hashes.stderr
    lines = [ln for ln in hashes.stdout.splitlines() if not ln.startswith("#")]
    assert sorted(lines) == sorted(
        ln for ln in MINI_TRUST.read_text().splitlines() if not ln.startswith("#")
    )
    monkeypatch.delenv("FARM_TRUSTED_ENV_SOURCES")
    pulled = run_farm("suites", "pull", "bfcl", "--wheel", str(wheel))
    assert pulled.returncode == 0, pulled.stderr
    assert "multi-turn cases will be refused" in pulled.stderr
    trust = tmp_path / "trusted.sha256"
    trust.write_text(hashes.stdout)
    again = run_farm("suites", "pull", "bfcl", "--wheel", str(wheel), env={
        "FARM_TRUSTED_ENV_SOURCES": str(trust)
    })  # fmt: skip
    assert again.returncode == 0 and "refused" not in again.stderr
