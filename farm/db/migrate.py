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

    The embedded SQLite database is created and upgraded automatically on first use. A
    configured server database must be upgraded explicitly (``farm db upgrade``); if it is
    behind, this raises :class:`StorageError` saying so.
    """
    from farm.errors import StorageError

    engine = make_engine(settings)
    current = current_revision(engine)
    head = head_revision(engine)
    if current == head:
        return engine
    if settings.embedded_database:
        upgrade(engine)
        return engine
    raise StorageError(
        f"database schema is at {current or 'nothing'}, code needs {head}: run 'farm db upgrade'"
    )
