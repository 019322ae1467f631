"""``farm ui``: the results explorer in the browser."""

from __future__ import annotations

import click

from farm.cli.context import cli_settings
from farm.errors import ConfigError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8642, show_default=True)
def ui(host: str, port: int) -> None:
    """Browse runs, live progress, leaderboards, every case and run comparisons.

    A read-only web app over the configured database (SQLite or PostgreSQL). It binds to
    loopback by default; any other address serves the results to the network, unauthenticated.
    """
    try:
        import flask  # noqa: F401
    except ModuleNotFoundError as exc:
        raise ConfigError(
            "farm ui needs the web extra: pip install 'farm[ui]' (Flask is not installed)"
        ) from exc
    from farm.db.engine import safe_url
    from farm.db.migrate import open_database
    from farm.ui.app import create_app, is_loopback, make_ui_server

    settings = cli_settings()
    engine = open_database(settings)
    try:
        server = make_ui_server(create_app(engine), host, port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if not is_loopback(host):  # after the bind: a failed one is the error line alone
        click.echo(
            f"farm ui: warning: bound to {host}, not loopback: anyone who reaches it can read "
            "every result (no authentication)",
            err=True,
        )
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(
        f"farm ui: http://{shown_host}:{server.port}/ "
        f"(database {safe_url(str(engine.url))}; Ctrl-C to stop)"
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
        engine.dispose()
