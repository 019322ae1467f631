"""The distributed fixtures of tests/runs (real PostgreSQL, Redis and workers), shared."""

from tests.runs.conftest import broker_prefix, runs_engine, runs_settings, workers

__all__ = ["broker_prefix", "runs_engine", "runs_settings", "workers"]
