"""What every command shares: settings built from root flags, and output helpers."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console

from farm.config import Settings, load_settings


@dataclass
class CliContext:
    """Root-level flags; settings are built from them on first use."""

    overrides: dict[str, Any] = field(default_factory=dict)
    verbose: int = 0
    _settings: Settings | None = None

    def settings(self) -> Settings:
        """Settings with the root flags taking precedence over environment and .env.

        Without ``-v`` the log level is ``FARM_LOG_LEVEL``, applied when settings are built.
        """
        if self._settings is None:
            self._settings = load_settings(**self.overrides)
            if not self.verbose:
                configure_logging(self._settings.log_level)
        return self._settings


def configure_logging(level: int | str) -> None:
    """Log to stderr at ``level`` (``-v``/``-vv``, else ``FARM_LOG_LEVEL``)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)


def cli_settings() -> Settings:
    """The settings of the running command."""
    ctx = click.get_current_context()
    obj = ctx.find_object(CliContext)
    if obj is None:  # a command invoked on its own, e.g. from a test
        obj = ctx.ensure_object(CliContext)
    return obj.settings()


#: Columns of a piped console: wide enough that no leaderboard table wraps a cell.
PIPED_WIDTH = 2000


def console(*, stderr: bool = False) -> Console:
    """A rich console (on stderr for progress and diagnostics; unbounded width when piped)."""
    con = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not stderr and not con.is_terminal:
        # Piped output: never squeeze or wrap tables (a table is as wide as its cells).
        con = Console(highlight=False, soft_wrap=True, width=PIPED_WIDTH)
    return con


def emit_json(obj: Any) -> None:
    """Print ``obj`` as one line of JSON (machine-readable output ends with this line)."""
    click.echo(json.dumps(obj, default=str, sort_keys=True))
