"""The call-format registry: formats by name, filled only by the :func:`call_format` decorator.

The first lookup imports every module under ``farm/formats/`` (sub-packages included), so a
new format is one module with one decorated class and no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable

from farm.errors import ConfigError
from farm.formats.base import CallFormat

_FORMATS: dict[str, CallFormat] = {}
_loaded = False
_lock = threading.RLock()


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


def _load() -> None:
    """Import every registering module once (thread-safe: shard threads look up at once)."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        package = importlib.import_module("farm.formats")
        for module in pkgutil.walk_packages(package.__path__, "farm.formats."):
            importlib.import_module(module.name)
        _loaded = True


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
