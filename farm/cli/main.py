"""The root command group. It only registers commands; each lives in a sibling module.

Commands are imported lazily, by name, so ``farm --help`` stays fast and never imports
Celery or HTTP clients it does not need.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from farm import __version__
from farm.cli.context import CliContext, configure_logging
from farm.errors import FarmError

#: Command name -> "module:attribute". The only list of commands.
COMMANDS: dict[str, str] = {
    "db": "farm.cli.db:db",
    "doctor": "farm.cli.doctor:doctor",
    "models": "farm.cli.models:models",
    "evaluate": "farm.cli.evaluate:evaluate",
    "export": "farm.cli.export:export",
    "submit": "farm.cli.submit:submit",
    "worker": "farm.cli.worker:worker",
    "status": "farm.cli.status:status",
    "runs": "farm.cli.status:runs",
    "cancel": "farm.cli.control:cancel",
    "resume": "farm.cli.control:resume",
    "sweep": "farm.cli.control:sweep",
    "run": "farm.cli.run:run",
    "demo": "farm.cli.demo:demo",
    "suites": "farm.cli.suites:suites",
    "subsets": "farm.cli.subsets:subsets",
    "leaderboard": "farm.cli.leaderboard:leaderboard",
    "compare": "farm.cli.compare:compare",
    "rescore": "farm.cli.rescore:rescore",
    "history": "farm.cli.history:history",
    "simulate": "farm.cli.simulate:simulate",
    "endpoints": "farm.cli.endpoints:endpoints",
    "ui": "farm.cli.ui:ui",
}


class FarmGroup(click.Group):
    """A group that loads commands lazily and turns FarmError into one line and an exit."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, without importing them."""
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import a command on first use."""
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's ``main``, but a usage error is one line on stderr, not usage plus error.

        ``farm: error: <message> (see 'farm <command> --help')`` and exit code 2, as for
        every other bad input. With ``standalone_mode=False`` click's behaviour is kept.
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()  # a group named alone: its help, as click prints it
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else prog_name or "farm"
            click.echo(f"farm: error: {exc.format_message()} (see '{where} --help')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"farm: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("farm: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a FarmError becomes one line on stderr and an exit code."""
        try:
            return super().invoke(ctx)
        except FarmError as exc:
            click.echo(f"farm: error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # a command may say what was kept in a note
            notes = getattr(exc, "__notes__", None)
            click.echo(f"farm: {notes[-1] if notes else 'interrupted'}", err=True)
            ctx.exit(130)


@click.group(cls=FarmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="farm")
@click.option("--home", type=click.Path(), help="Data directory [env FARM_HOME].")
@click.option("--database-url", help="SQLAlchemy database URL [env FARM_DATABASE_URL].")
@click.option("--broker-url", help="Celery broker URL [env FARM_BROKER_URL].")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(
    ctx: click.Context,
    home: str | None,
    database_url: str | None,
    broker_url: str | None,
    verbose: int,
) -> None:
    """farm: a distributed evaluation farm for LLM function calling.

    Settings come from command-line flags, then the environment (FARM_*), then a .env
    file, then defaults. With no FARM_DATABASE_URL and no FARM_BROKER_URL the farm runs
    on its embedded default: a SQLite file and an in-process executor.
    """
    ctx.obj = CliContext(
        overrides={"home": home, "database_url": database_url, "broker_url": broker_url},
        verbose=verbose,
    )
    if verbose:
        configure_logging(logging.DEBUG if verbose > 1 else logging.INFO)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="farm"))


if __name__ == "__main__":
    main()
