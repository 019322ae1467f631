"""Benchmark suites: BFCL's official data read from its wheel, and user suites."""
