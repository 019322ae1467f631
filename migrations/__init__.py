"""Alembic migrations of the farm's schema (PostgreSQL and SQLite, batch mode)."""
