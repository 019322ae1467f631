"""Fixtures of the inference tests: the mini suite's cases, read once from its wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from farm.suites.case import Case
from farm.suites.wheel import read_wheel
from tests.fixtures.minisuite import make_mini_wheel


@pytest.fixture(scope="session")
def mini_cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """Every case of the mini suite."""
    wheel = make_mini_wheel(Path(tmp_path_factory.mktemp("mini")))
    return read_wheel(wheel).cases


@pytest.fixture(scope="session")
def single_turn(mini_cases: list[Case]) -> list[Case]:
    """The mini suite's single-turn cases."""
    return [c for c in mini_cases if not c.category.startswith("multi_turn")]
