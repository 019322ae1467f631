"""The shard a case is solved in: run, shard and database, for benchmarks that need them.

:func:`farm.shards.execute_shard` sets a :class:`SolveContext` around the solving of its
cases (a context variable, so every case task sees it); a benchmark that keeps state
between cases of a run (BFCL's memory snapshots, the web store) reads it with
:func:`current_context`. Resources a benchmark opens for the shard (embedding clients,
page fetchers) are registered with :meth:`SolveContext.keep` and closed with the shard.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from farm.errors import RunError


@dataclass
class SolveContext:
    """Where cases are being solved.

    Attributes:
        engine: the farm's database.
        run_id: the run.
        shard_no: the shard.
    """

    engine: Engine
    run_id: uuid.UUID
    shard_no: int
    _kept: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], Any]] = field(default_factory=list)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def keep(self, key: str, make: Callable[[], Any], close: str | None = None) -> Any:
        """The shard's resource ``key``, made once; ``close`` names its closing method."""
        if key not in self._kept:
            value = self._kept[key] = make()
            if close is not None:
                self._closers.append(getattr(value, close))
        return self._kept[key]

    def lock(self, key: str) -> asyncio.Lock:
        """An asyncio lock shared by the shard's cases (one per ``key``)."""
        return self._locks.setdefault(key, asyncio.Lock())

    async def aclose(self) -> None:
        """Close the registered resources (errors are ignored: the shard is over)."""
        for close in reversed(self._closers):
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: S110 - closing must not fail the shard
                pass
        self._closers.clear()
        self._kept.clear()


_CURRENT: contextvars.ContextVar[SolveContext | None] = contextvars.ContextVar(
    "farm_solve_context", default=None
)


def set_context(context: SolveContext | None) -> contextvars.Token[SolveContext | None]:
    """Make ``context`` the current one (returns the token to reset it)."""
    return _CURRENT.set(context)


def reset_context(token: contextvars.Token[SolveContext | None]) -> None:
    """Restore the context before :func:`set_context`."""
    _CURRENT.reset(token)


def current_context() -> SolveContext:
    """The shard being executed.

    Raises:
        RunError: outside a shard (the case cannot be solved on its own).
    """
    context = _CURRENT.get()
    if context is None:
        raise RunError("this case needs its run's shard context (run it with farm run)")
    return context
