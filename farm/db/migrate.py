"""Alembic, driven from code with the same settings and metadata as everything else."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import migrations
from farm.config import Settings
from farm.db.engine import make_engine, storage_errors


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs the farm's migrations on ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with storage_errors(str(engine.url)), engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    with storage_errors(engine.url.render_as_string(hide_password=True)):
        command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` for an empty schema)."""
    with storage_errors(engine.url.render_as_string(hide_password=True)):
        command.downgrade(alembic_config(engine), revision)


def open_database(settings: Settings) -> Engine:
    """An engine for the configured database, ready to use.

    Every SQLite database (the embedded default or any ``sqlite:///`` URL) is created and
    upgraded automatically on first use: it belongs to one machine and one user. A server
    database (PostgreSQL) is shared by producers and workers of several versions and is
    upgraded only by ``farm db upgrade``.

    Raises:
        StorageError: a PostgreSQL schema is behind the code (run ``farm db upgrade``), or
            a database carries a revision this code does not know (made by a newer farm).
    """
    from farm.errors import StorageError

    engine = make_engine(settings)
    current = current_revision(engine)
    head = head_revision(engine)
    if current == head:
        return engine
    if current is not None and not _known_revision(engine, current):
        raise StorageError(
            f"database schema is at {current}, which this farm does not know (written by a "
            f"newer version?); this code needs {head}"
        )
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return engine
    raise StorageError(
        f"database schema is at {current or 'nothing'}, code needs {head}: run 'farm db "
        "upgrade' (PostgreSQL databases are never upgraded automatically)"
    )


def _known_revision(engine: Engine, revision: str) -> bool:
    """Whether ``revision`` is one of this code's migrations."""
    from alembic.util.exc import CommandError

    scripts = ScriptDirectory.from_config(alembic_config(engine))
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False
