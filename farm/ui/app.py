"""The results explorer's Flask application: read-only pages over the farm's database.

:func:`create_app` takes an engine and returns the WSGI app. Each request reads in one
session that is rolled back at its end (the app never writes). Pages are rendered on the
server with Jinja (autoescaping on); the only script is ``static/ui.js`` (live progress),
and a Content-Security-Policy forbids any other, so even text that escaped escaping could
not run. Responses are encoded with backslash escapes for anything UTF-8 cannot carry.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

from flask import Flask, Response, g
from sqlalchemy import Engine

from farm.errors import FarmError, RunError
from farm.ui import board, pages
from farm.ui.display import FILTERS, show
from farm.ui.web import page, page_url

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(engine: Engine, *, poll_ms: int = 2000) -> Flask:
    """The explorer over ``engine``'s database (SQLite or PostgreSQL).

    ``poll_ms`` is how often the pages of running runs ask for their progress.
    """
    app = Flask(__name__)
    app.config["ENGINE"] = engine
    app.config["POLL_MS"] = poll_ms
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(page_url=page_url, show=show)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def close(_exc: BaseException | None) -> None:
        session = g.pop("session", None)
        if session is not None:
            session.rollback()
            session.close()

    @app.errorhandler(RunError)
    def not_found(exc: RunError) -> tuple[Response, int]:
        return page("error.html", title="Not found", message=exc.message), 404

    @app.errorhandler(FarmError)
    def farm_error(exc: FarmError) -> tuple[Response, int]:
        return page("error.html", title="Error", message=exc.message), 400

    @app.errorhandler(404)
    def no_page(_exc: Exception) -> tuple[Response, int]:
        return page("error.html", title="Not found", message="no such page"), 404

    @app.errorhandler(405)
    def read_only(_exc: Exception) -> tuple[Response, int]:
        return page("error.html", title="Read-only", message="the explorer only reads"), 405

    pages.register(app)
    board.register(app)
    return app


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_ui_server(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """A threaded WSGI server for ``app`` bound to ``host:port`` (port 0: a free one).

    The socket is bound here, so that a taken port or a foreign address is an ``OSError``
    for the caller to report (Werkzeug would print and exit).

    Raises:
        OSError: the address cannot be resolved or bound.
    """
    from werkzeug.serving import make_server

    if not logging.getLogger().isEnabledFor(logging.INFO):  # request lines only with -v
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise OSError(exc.errno, f"unknown host {host!r}") from exc
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        bound_port = sock.getsockname()[1]
        server = make_server(host, bound_port, app, threaded=True, fd=sock.fileno())
    finally:
        sock.close()  # the server holds its own duplicate of the descriptor
    return server
