"""BFCL v4's web-search tools served by the farm.

Search providers, a guarded page fetcher, the web store (record / replay / live) and the two
tools themselves.
"""
