"""Engines, sessions and the mapping of database errors onto :class:`StorageError`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from farm.config import Settings
from farm.errors import StorageError


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"\s+", " ", line)[:300]


@contextmanager
def storage_errors(url: str | None = None) -> Iterator[None]:
    """Turn SQLAlchemy and driver errors raised inside the block into :class:`StorageError`."""
    try:
        yield
    except SQLAlchemyError as exc:
        where = f" at {safe_url(url)}" if url else ""
        raise StorageError(f"database error{where}: {_first_line(exc)}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(settings: Settings | str) -> Engine:
    """Create an engine for the configured database (no connection is made yet).

    For the embedded SQLite default the parent directory is created here, on use, never at
    import time.
    """
    url = settings if isinstance(settings, str) else settings.resolved_database_url
    with storage_errors(url):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                from pathlib import Path

                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5}
            if parsed.get_backend_name() == "postgresql"
            else {},
        )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` that keeps objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, map errors to StorageError."""
    factory = session_factory(engine)
    with storage_errors(engine.url.render_as_string(hide_password=True)):
        with factory() as session, session.begin():
            yield session
