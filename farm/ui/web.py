"""What every page of the explorer uses: the request's session and safe rendering."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, render_template, request
from sqlalchemy.orm import Session


def session() -> Session:
    """The request's read-only session."""
    if "session" not in g:
        g.session = Session(current_app.config["ENGINE"], autoflush=False)
    current: Session = g.session
    return current


def page(template: str, **context: Any) -> Response:
    """A rendered page, encoded so that no stored text can break the response."""
    html = render_template(template, **context)
    return Response(
        html.encode("utf-8", "backslashreplace"), content_type="text/html; charset=utf-8"
    )


def page_url(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    from urllib.parse import urlencode

    args: dict[str, list[str]] = {k: request.args.getlist(k) for k in request.args}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        elif isinstance(value, list | tuple):
            args[key] = [str(v) for v in value]
        else:
            args[key] = [str(value)]
    query = urlencode([(k, v) for k, vs in args.items() for v in vs])
    return request.path + ("?" + query if query else "")
