"""The call-format registry: formats by name, filled only by the :func:`call_format` decorator.

The first lookup imports every module under ``farm/formats/`` (sub-packages included), so a
new format is one module with one decorated class and no list to edit.
"""

from __future__ import annotations

from collections.abc import Callable

from farm.errors import ConfigError
from farm.formats.base import CallFormat
from farm.plugins import ImportOnce

_FORMATS: dict[str, CallFormat] = {}
#: Imports every module under farm/formats/ once, so their decorators run.
_load = ImportOnce("farm.formats")


def call_format(name: str) -> Callable[[type[CallFormat]], type[CallFormat]]:
    """Register a :class:`CallFormat` subclass under ``name`` (one instance is kept).

    Raises:
        ConfigError: if ``name`` is registered twice.
    """

    def register(cls: type[CallFormat]) -> type[CallFormat]:
        if name in _FORMATS:
            raise ConfigError(f"call format {name!r} is registered twice")
        cls.name = name
        _FORMATS[name] = cls()
        return cls

    return register


def format_names() -> tuple[str, ...]:
    """The registered format names, sorted (``fc`` and ``prompt`` are built in)."""
    _load()
    return tuple(sorted(_FORMATS))


def get_format(name: str) -> CallFormat:
    """The format registered as ``name``.

    Raises:
        ConfigError: unknown name (the message lists the known ones).
    """
    found = _FORMATS.get(name)
    if found is None:
        _load()
        found = _FORMATS.get(name)
        if found is None:
            raise ConfigError(f"unknown mode {name!r}: choose one of {', '.join(format_names())}")
    return found
