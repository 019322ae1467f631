"""Category expansion: one function for BFCL's groups and for every registered benchmark's."""

import pytest

from farm.benchmarks.registry import expand_categories
from farm.errors import SuiteError
from farm.suites.categories import expand


def test_expand_takes_any_groups_in_known_order():
    known = ["a", "b", "c"]
    assert expand(["g", "a"], known, {"g": ("c", "b", "zz")}) == ["a", "b", "c"]
    with pytest.raises(SuiteError, match=r"unknown category 'x'; valid: g, a, b, c"):
        expand(["x"], known, {"g": ("a",)})


def test_registry_expansion_uses_bfcl_groups_and_keeps_unknown_names_an_error():
    known = ["simple_python", "multiple", "live_simple", "multi_turn_base"]
    assert expand_categories(["live", "simple_python"], known) == ["simple_python", "live_simple"]
    assert expand_categories(["all"], known) == known
    with pytest.raises(SuiteError, match="unknown category 'nope'"):
        expand_categories(["nope"], known)
