"""Obtaining the wheel with pip (from a local package index: no traffic leaves the machine)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from farm.config import Settings
from farm.errors import SuiteError
from farm.suites.bfcl import pull_bfcl, wheel_cache, wheel_name
from tests.fixtures.minisuite import MINI_VERSION, make_mini_wheel


def test_pull_downloads_the_wheel_with_pip_once_and_then_uses_the_cache(
    settings: Settings, sqlite: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    make_mini_wheel(index)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    suite = pull_bfcl(settings, sqlite, version=MINI_VERSION)
    cached = wheel_cache(settings) / wheel_name(MINI_VERSION)
    assert cached.is_file()
    assert suite.source == str(cached)
    shutil.rmtree(index)  # pip could no longer find it: the cache must serve
    assert pull_bfcl(settings, sqlite, version=MINI_VERSION).id == suite.id


def test_a_failed_download_says_why_and_how_to_work_offline(
    settings: Settings, sqlite: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-index"
    empty.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    with pytest.raises(SuiteError) as info:
        pull_bfcl(settings, sqlite, version="0.0.7")
    message = str(info.value)
    assert message.startswith("cannot download bfcl-eval==0.0.7 with pip: ")
    assert "pass --wheel PATH" in message
    assert "\n" not in message
