"""Parsed JSON helpers shared by every layer (suites, prompts, inference)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

_Json = TypeVar("_Json")


def json_copy(value: _Json) -> _Json:
    """A deep copy of parsed JSON (dicts, lists, scalars): ``copy.deepcopy`` without its memo.

    Reading BFCL copies each class's docs into every multi-turn case and each single-turn
    case into 26 format-sensitivity clones; ``deepcopy`` made that most of a pull's time.
    Shared sub-objects are copied once per reference (JSON has none).
    """
    return cast(_Json, _copy(value))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
