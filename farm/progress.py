"""A live progress bar for runs: done/total, rate, ETA and errors.

The embedded executor advances it case by case (:meth:`RunProgress.advance`); ``farm submit
--wait`` and ``farm status --wait`` poll the database (:func:`wait_for_run`).
"""

from __future__ import annotations

import threading
import time
import uuid
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy import Engine

from farm.db.engine import session_scope


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        new = task.completed - float(task.fields.get("initial", 0))
        rate = new / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:.0f}/s", style="cyan")


class _ErrorsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        errors = int(task.fields.get("errors", 0))
        return Text(f"{errors} errors", style="red" if errors else "dim")


class RunProgress:
    """A rich live progress bar for one run (thread-safe :meth:`advance`).

    Args:
        total: cases in the run.
        done: cases already done (a resumed run).
        description: the text before the bar.
        console: where to draw (stderr by default); nothing is drawn if ``enabled`` is false.
    """

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        errors: int = 0,
        description: str = "run",
        console: Console | None = None,
        enabled: bool = True,
    ) -> None:
        self.total = total
        self.done = done
        self.errors = errors
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            _ErrorsColumn(),
            console=console or Console(stderr=True),
            disable=not enabled,
            refresh_per_second=8,
        )
        self._task = self._progress.add_task(description, total=total, errors=errors, initial=done)
        self._progress.update(self._task, completed=done)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def advance(self, error: bool = False) -> None:
        """One more case done (``error``: a failed inference)."""
        with self._lock:
            self.done += 1
            self.errors += int(error)
            self._progress.update(self._task, advance=1, errors=self.errors)

    def set(self, done: int, errors: int) -> None:
        """Absolute counts (polling)."""
        with self._lock:
            self.done, self.errors = done, errors
            self._progress.update(self._task, completed=done, errors=errors)


def wait_for_run(
    engine: Engine,
    run_id: uuid.UUID,
    *,
    progress: RunProgress | None = None,
    poll_seconds: float = 0.5,
    timeout: float | None = None,
) -> str:
    """Poll the database until the run ended (done, incomplete, cancelled); return its status.

    Raises:
        RunError: if ``timeout`` seconds pass first.
    """
    from farm.errors import RunError
    from farm.runs import run_status

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with session_scope(engine) as session:
            status = run_status(session, run_id)
        if progress is not None:
            progress.set(status.done, status.errors)
        if status.finished:
            return status.status
        if deadline is not None and time.monotonic() > deadline:
            raise RunError(f"run {run_id} did not finish within {timeout:.0f}s")
        time.sleep(poll_seconds)
