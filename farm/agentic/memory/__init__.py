"""BFCL v4's memory backends (``MemoryAPI_kv``, ``MemoryAPI_vector``, ``MemoryAPI_rec_sum``).

Each backend exposes exactly BFCL's tools as public methods (the docs come from the suite),
returns BFCL's result values and error texts, and has a JSON snapshot (BFCL's snapshot-file
shape) that is stored in the database between a scenario's prerequisite chain and its
questions. See :func:`farm.agentic.memory.backends.open_backend`.
"""
