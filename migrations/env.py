"""Alembic environment: the farm's settings and its one metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import farm.db.models  # noqa: F401  (registers the tables on the metadata)
from farm.config import get_settings
from farm.db.base import Base
from farm.db.engine import make_engine

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    url = config.get_main_option("sqlalchemy.url")
    return make_engine(url if url else get_settings())


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
