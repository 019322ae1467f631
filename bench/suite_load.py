"""Loading all of BFCL v4 (4,441 cases) into PostgreSQL and SQLite: batched vs row by row.

Usage: python bench/suite_load.py [WHEEL]   (default: ~/.cache/farm-tests/bfcl_eval-2026.3.23...)

Creates a scratch PostgreSQL database through FARM_TEST_POSTGRES_ADMIN_URL (default the
local postgres superuser) and a scratch SQLite file, and prints seconds and the speed-up of
the farm's batched executemany inserts over one INSERT round trip per case, measured side
by side in one run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from farm.db.engine import make_engine, session_scope
from farm.db.migrate import upgrade
from farm.db.models import Suite, TestCase
from farm.suites.build import SuiteData
from farm.suites.store import case_rows, store_suite
from farm.suites.wheel import read_wheel

ADMIN = os.environ.get(
    "FARM_TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEFAULT_WHEEL = Path.home() / ".cache/farm-tests/bfcl_eval-2026.3.23-py3-none-any.whl"


def row_by_row(engine: Engine, data: SuiteData) -> None:
    """The naive way: one INSERT statement and round trip per case, one transaction."""
    with session_scope(engine) as session:
        suite = Suite(name=data.name, version=data.version, source="", sha256=data.sha256)
        session.add(suite)
        session.flush()
        for row in case_rows(suite.id, data.cases):
            session.execute(insert(TestCase).values(**row))


def timed(label: str, engine: Engine, data: SuiteData, batched: bool) -> float:
    with session_scope(engine) as session:
        session.execute(Suite.__table__.delete())
    started = time.perf_counter()
    if batched:
        store_suite(engine, data)
    else:
        row_by_row(engine, data)
    took = time.perf_counter() - started
    print(f"{label:<32} {took:6.2f} s")
    return took


def compare(name: str, engine: Engine, data: SuiteData) -> None:
    upgrade(engine)
    naive = timed(f"{name} one INSERT per case", engine, data, batched=False)
    fast = timed(f"{name} batched (farm)", engine, data, batched=True)
    print(f"{name}: batched is {naive / fast:.1f}x faster\n")


def main() -> None:
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_WHEEL
    started = time.perf_counter()
    data = read_wheel(wheel)
    print(f"read {len(data.cases)} cases from the wheel in {time.perf_counter() - started:.2f} s\n")
    db = f"farm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        pg = make_engine(make_url(ADMIN).set(database=db).render_as_string(hide_password=False))
        compare("PostgreSQL", pg, data)
        pg.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        lite = make_engine(f"sqlite:///{tmp}/bench.db")
        compare("SQLite", lite, data)
        lite.dispose()


if __name__ == "__main__":
    main()
