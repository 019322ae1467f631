"""Import-once loading of modules that register themselves (formats, benchmarks).

A registry fills itself from decorators; :class:`ImportOnce` imports every module of a
package (sub-packages included) and, optionally, runs a further step (entry points) the first
time it is called, once per process, safely from several threads.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable


class ImportOnce:
    """Import every module under ``package`` on the first call, then ``then()`` if given.

    A failure propagates and leaves the loader unloaded, so the next call tries again.
    """

    def __init__(self, package: str, then: Callable[[], None] | None = None) -> None:
        self.package = package
        self.then = then
        self._loaded = False
        self._lock = threading.RLock()

    def __call__(self) -> None:
        """Load once (thread-safe: shard threads may look up at the same moment)."""
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            root = importlib.import_module(self.package)
            for module in pkgutil.walk_packages(root.__path__, f"{self.package}."):
                importlib.import_module(module.name)
            if self.then is not None:
                self.then()
            self._loaded = True
