"""BFCL v4's agentic categories: web search, memory, their checker and format sensitivity.

Sub-packages: :mod:`farm.agentic.web` (search providers, page fetching, the web store) and
:mod:`farm.agentic.memory` (the three memory backends and their snapshots).
"""
