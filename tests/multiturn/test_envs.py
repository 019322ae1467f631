"""Environments are built from stored source texts into private, per-case modules."""

from __future__ import annotations

import sys

import pytest

from farm.errors import SuiteError
from farm.multiturn.envs import EnvironmentSources, ModuleSet, build_environment

from .helpers import CLASS_FILES, SOURCES, SUITE_EXTRA

REAL_CLASSES = [
    "GorillaFileSystem",
    "MathAPI",
    "MessageAPI",
    "TwitterAPI",
    "TicketAPI",
    "TradingBot",
    "TravelAPI",
    "VehicleControlAPI",
]


def _sources() -> EnvironmentSources:
    return EnvironmentSources.from_suite_extra(SUITE_EXTRA)


def test_an_environment_is_built_from_stored_sources_with_its_scenario() -> None:
    env = build_environment(
        ModuleSet(_sources()), ["LedgerAPI"], {"LedgerAPI": {"owner": "ada"}}, long_context=False
    )
    ledger = env.instances["LedgerAPI"]
    assert ledger.owner == "ada" and ledger.entries == []
    assert set(env.methods) == {"add", "total", "describe", "explode"}
    assert env.public_state() == {
        "LedgerAPI": {"entries": [], "owner": "ada", "long_context": False}
    }


def test_intra_package_imports_are_served_from_the_stored_sources() -> None:
    env = build_environment(ModuleSet(_sources()), ["LedgerAPI"], {}, long_context=True)
    assert env.instances["LedgerAPI"].entries == [["archive", 100], ["backlog", 50]]


def test_environment_modules_never_enter_sys_modules() -> None:
    before = set(sys.modules)
    modules = ModuleSet(_sources())
    module = modules.module("ledger_api.py")
    assert module.__name__.endswith(".ledger_api")
    assert set(sys.modules) == before
    assert not any(name.startswith("bfcl_eval") for name in sys.modules)


def test_each_module_set_has_its_own_module_state() -> None:
    first, second = ModuleSet(_sources()), ModuleSet(_sources())
    a = build_environment(first, ["LedgerAPI"], {}, long_context=False)
    b = build_environment(second, ["LedgerAPI"], {}, long_context=False)
    a.methods["add"][1](item="x")
    assert first.module("ledger_api.py").CALLS_SEEN == ["x"]
    assert second.module("ledger_api.py").CALLS_SEEN == []
    assert b.instances["LedgerAPI"].entries == []


def test_the_initial_config_is_deep_copied_into_each_instance() -> None:
    config = {"LedgerAPI": {"entries": [["a", 1]]}}
    env = build_environment(ModuleSet(_sources()), ["LedgerAPI"], config, long_context=False)
    env.methods["add"][1](item="b")
    assert config == {"LedgerAPI": {"entries": [["a", 1]]}}


def test_a_later_class_wins_a_shared_method_name_as_in_bfcl() -> None:
    env = build_environment(
        ModuleSet(_sources()), ["LedgerAPI", "ClockAPI"], {}, long_context=False
    )
    assert env.methods["add"][0] == "ClockAPI"


def test_unknown_classes_and_missing_sources_are_suite_errors() -> None:
    with pytest.raises(SuiteError, match="unknown multi-turn environment class"):
        build_environment(ModuleSet(_sources()), ["NoSuchAPI"], {}, long_context=False)
    with pytest.raises(SuiteError, match="no multi-turn environment sources"):
        EnvironmentSources.from_suite_extra({})
    broken = EnvironmentSources(sources={"bad.py": "def broken(:\n"}, class_files={"X": "bad.py"})
    with pytest.raises(SuiteError, match="failed to load"):
        ModuleSet(broken).module("bad.py")


def test_other_bfcl_modules_cannot_be_imported_by_environment_code() -> None:
    sources = EnvironmentSources(
        sources={"x.py": "from bfcl_eval.utils import load_file\nclass X: pass\n"},
        class_files={"X": "x.py"},
    )
    with pytest.raises(SuiteError, match="not available"):
        ModuleSet(sources).module("x.py")


def test_class_files_are_derived_when_the_suite_lacks_the_mapping() -> None:
    sources = EnvironmentSources.from_suite_extra({"multi_turn_sources": SOURCES})
    assert sources.class_files["LedgerAPI"] == CLASS_FILES["LedgerAPI"]


def test_every_environment_of_the_real_wheel_builds_in_both_context_sizes(bfcl_wheel) -> None:
    sources = EnvironmentSources.from_wheel(bfcl_wheel)
    for long_context in (False, True):
        env = build_environment(ModuleSet(sources), REAL_CLASSES, {}, long_context=long_context)
        assert list(env.instances) == REAL_CLASSES
        assert "cd" in env.methods and "_load_scenario" not in env.methods
    assert not any(name.startswith("bfcl_eval") for name in sys.modules)
