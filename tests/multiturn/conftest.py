"""The runs tests' fixtures (real workers, PostgreSQL, Redis, mini suite), shared here."""

from tests.runs.conftest import (  # noqa: F401  (fixtures re-exported for this folder)
    broker_prefix,
    mini_suite,
    runs_engine,
    runs_settings,
    suite_spec,
    workers,
)
