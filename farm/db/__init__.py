"""Database layer: tables, engine and session factory, and query functions."""
