"""``MemoryAPI_kv``: core and archival key-value memory with BM25+ key search.

Facts from ``func_source_code/memory_kv.py`` of bfcl-eval 2026.3.23: core memory holds at
most 7 entries of at most 300 characters, archival memory 50 entries of at most 2,000;
keys must match ``^[a-z]+(_[a-z0-9]+)*$`` and be unique; key search ranks keys with BM25+
(``rank_bm25.BM25Plus``, the library BFCL uses) over ``text.replace("_", " ").lower().split()``
tokens and returns ``{"ranked_results": [[score, key], ...]}`` (top ``k``). Searching an
empty memory fails as BFCL's does (``division by zero``).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_CORE_MEMORY_SIZE = 7
MAX_CORE_MEMORY_ENTRY_LENGTH = 300
MAX_ARCHIVAL_MEMORY_SIZE = 50
MAX_ARCHIVAL_MEMORY_ENTRY_LENGTH = 2000
_KEY = re.compile(r"^[a-z]+(_[a-z0-9]+)*$")
KEY_ERROR = "Key must be in snake_case format and cannot contain spaces."


def _tokens(text: str) -> list[str]:
    return text.replace("_", " ").lower().split()


def bm25_rank(query: str, corpus: list[str], k: int = 5) -> dict[str, Any]:
    """Rank ``corpus`` against ``query`` with BM25+; ``{"ranked_results": [(score, text)]}``."""
    from rank_bm25 import BM25Plus  # imports numpy: only when a search is made

    scores = BM25Plus([_tokens(text) for text in corpus]).get_scores(_tokens(query))
    ranked = sorted(zip(scores, corpus, strict=True), key=lambda pair: pair[0], reverse=True)
    return {"ranked_results": [(float(score), text) for score, text in ranked[:k]]}


class _Store:
    """One key-value store (core or archival) with its limits and status texts."""

    def __init__(self, max_size: int, max_length: int, full: str, added: str) -> None:
        self.data: dict[str, str] = {}
        self.max_size = max_size
        self.max_length = max_length
        self.full = full
        self.added = added

    def _too_long(self) -> dict[str, str]:
        return {
            "error": "Entry is too long. Please shorten the entry to less than "
            f"{self.max_length} characters."
        }

    def add(self, key: Any, value: Any) -> dict[str, str]:
        key, value = str(key), str(value)
        if len(self.data) >= self.max_size:
            return {"error": self.full}
        if len(value) > self.max_length:
            return self._too_long()
        if not _KEY.match(key):
            return {"error": KEY_ERROR}
        if key in self.data:
            return {"error": "Key name must be unique."}
        self.data[key] = value
        return {"status": self.added}

    def remove(self, key: Any) -> dict[str, str]:
        if key in self.data:
            del self.data[key]
            return {"status": "Key removed."}
        return {"error": "Key not found."}

    def replace(self, key: Any, value: Any) -> dict[str, str]:
        key, value = str(key), str(value)
        if key not in self.data:
            return {"error": "Key not found."}
        if len(value) > self.max_length:
            return self._too_long()
        self.data[key] = value
        return {"status": "Key replaced."}

    def retrieve(self, key: Any) -> dict[str, str]:
        if key not in self.data:
            return {"error": "Key not found."}
        return {"value": self.data[key]}


class MemoryKV:
    """BFCL's ``MemoryAPI_kv`` tools over two key-value stores."""

    def __init__(self) -> None:
        self._core = _Store(
            MAX_CORE_MEMORY_SIZE,
            MAX_CORE_MEMORY_ENTRY_LENGTH,
            "Core memory is full. Please clear some entries.",
            "Key-value pair added.",
        )
        self._archival = _Store(
            MAX_ARCHIVAL_MEMORY_SIZE,
            MAX_ARCHIVAL_MEMORY_ENTRY_LENGTH,
            "Long term memory is full. Please clear some entries.",
            "Key added.",
        )

    # snapshots -----------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        """BFCL's snapshot shape: ``{"core_memory": {...}, "archival_memory": {...}}``."""
        return {"core_memory": dict(self._core.data), "archival_memory": dict(self._archival.data)}

    def _restore(self, snapshot: dict[str, Any]) -> None:
        self._core.data = {str(k): str(v) for k, v in snapshot["core_memory"].items()}
        self._archival.data = {str(k): str(v) for k, v in snapshot["archival_memory"].items()}

    def _context(self) -> str:
        """The core-memory dump put in the system prompt."""
        if not self._core.data:
            return "There is no content in the core memory at this point."
        return json.dumps(self._core.data, indent=4)

    # tools ---------------------------------------------------------------------
    def core_memory_add(self, key: str, value: str) -> dict[str, str]:
        """Add a key-value pair to the core memory."""
        return self._core.add(key, value)

    def core_memory_remove(self, key: str) -> dict[str, str]:
        """Remove a key from the core memory."""
        return self._core.remove(key)

    def core_memory_replace(self, key: str, value: str) -> dict[str, str]:
        """Replace the value of a key in the core memory."""
        return self._core.replace(key, value)

    def core_memory_clear(self) -> dict[str, str]:
        """Clear the core memory."""
        self._core.data = {}
        return {"status": "Short term memory cleared."}

    def core_memory_retrieve(self, key: str) -> dict[str, str]:
        """The value of a key in the core memory."""
        return self._core.retrieve(key)

    def core_memory_list_keys(self) -> dict[str, list[str]]:
        """Every key of the core memory."""
        return {"keys": list(self._core.data)}

    def core_memory_key_search(self, query: str, k: int = 5) -> dict[str, Any]:
        """Core-memory keys ranked by BM25+ against ``query``."""
        return bm25_rank(query, list(self._core.data), k)

    def core_memory_retrieve_all(self) -> dict[str, str]:
        """The whole core memory."""
        return self._core.data

    def archival_memory_add(self, key: str, value: str) -> dict[str, str]:
        """Add a key-value pair to the archival memory."""
        return self._archival.add(key, value)

    def archival_memory_remove(self, key: str) -> dict[str, str]:
        """Remove a key from the archival memory."""
        return self._archival.remove(key)

    def archival_memory_replace(self, key: str, value: str) -> dict[str, str]:
        """Replace the value of a key in the archival memory."""
        return self._archival.replace(key, value)

    def archival_memory_clear(self) -> dict[str, str]:
        """Clear the archival memory."""
        self._archival.data = {}
        return {"status": "Long term memory cleared."}

    def archival_memory_retrieve(self, key: str) -> dict[str, str]:
        """The value of a key in the archival memory."""
        return self._archival.retrieve(key)

    def archival_memory_list_keys(self) -> dict[str, list[str]]:
        """Every key of the archival memory."""
        return {"keys": list(self._archival.data)}

    def archival_memory_key_search(self, query: str, k: int = 5) -> dict[str, Any]:
        """Archival-memory keys ranked by BM25+ against ``query``."""
        return bm25_rank(query, list(self._archival.data), k)
