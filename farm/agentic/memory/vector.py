"""``MemoryAPI_vector``: core and archival memory searched by embedding similarity.

Facts from ``func_source_code/memory_vector.py`` of bfcl-eval 2026.3.23: two stores (core:
7 entries of at most 300 characters; archival: 50 of at most 2,000) of texts with sequential
integer ids; retrieval returns the ``top_k`` entries by inner product of L2-normalised
embeddings as ``{"id", "similarity_score", "text"}``. BFCL encodes with
``all-MiniLM-L6-v2`` and searches with a flat FAISS index; here the embeddings come from an
:class:`Embedder` (the farm's embedding endpoint) and the search is exact nearest neighbour
in plain Python (ties: lower id first), scores rounded through float32 as FAISS returns them.
A snapshot holds texts only (``{"next_id", "store"}``); restoring re-embeds them.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Sequence
from typing import Any, Protocol

MAX_CORE_MEMORY_SIZE = 7
MAX_CORE_MEMORY_ENTRY_LENGTH = 300
MAX_ARCHIVAL_MEMORY_SIZE = 50
MAX_ARCHIVAL_MEMORY_ENTRY_LENGTH = 2000


class Embedder(Protocol):
    """Embeds texts: one vector per text, in order. Failures raise (they are not tool output)."""

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        """The embeddings of ``texts``."""


def _normalised(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else [0.0 for _ in vector]


def _float32(value: float) -> float:
    return array("f", [value])[0]


class VectorStore:
    """Texts by id with their normalised embeddings; exact inner-product search."""

    def __init__(self, max_size: int, max_length: int, embed: Embedder) -> None:
        self.max_size = max_size
        self.max_length = max_length
        self._embed = embed
        self.store: dict[int, str] = {}
        self._vectors: dict[int, list[float]] = {}
        self.next_id = 0

    def _vector(self, text: str) -> list[float]:
        return _normalised(self._embed([text])[0])

    def add(self, text: Any) -> dict[str, Any]:
        """Store a text; ``{"id": n}`` or BFCL's error."""
        if len(text) > self.max_length:  # a text without a length fails here, as in BFCL
            return {
                "error": f"Entry length exceeds maximum length of {self.max_length} characters."
            }
        if len(self.store) >= self.max_size:
            return {"error": f"Memory size exceeds maximum size of {self.max_size} entries."}
        vec_id = self.next_id
        self.next_id += 1
        self._vectors[vec_id] = self._vector(str(text))
        self.store[vec_id] = str(text)
        return {"id": vec_id}

    def remove(self, vec_id: Any) -> dict[str, str]:
        """Remove an entry by id."""
        if vec_id not in self.store:
            return {"error": f"ID {vec_id} not present in store."}
        del self.store[vec_id]
        del self._vectors[vec_id]
        return {"status": f"ID {vec_id} removed from store."}

    def update(self, vec_id: Any, new_text: Any) -> dict[str, str]:
        """Replace the text of an entry (re-embedded)."""
        if vec_id not in self.store:
            return {"error": f"ID {vec_id} not present in store."}
        if len(new_text) > self.max_length:
            return {
                "error": f"Entry length exceeds maximum length of {self.max_length} characters."
            }
        self._vectors[vec_id] = self._vector(str(new_text))
        self.store[vec_id] = str(new_text)
        return {"status": f"ID {vec_id} updated."}

    def clear(self) -> dict[str, str]:
        """Remove every entry and restart ids at 0."""
        self.store.clear()
        self._vectors.clear()
        self.next_id = 0
        return {"status": "Memory cleared."}

    def retrieve(self, query: Any, top_k: Any = 5) -> list[dict[str, Any]]:
        """The ``top_k`` entries by similarity to ``query``: ``{id, similarity_score, text}``."""
        if not self.store:
            return []
        q = self._vector(str(query))
        scored = [
            (sum(a * b for a, b in zip(q, vec, strict=True)), vid)
            for vid, vec in self._vectors.items()
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        count = min(int(top_k), len(self.store))
        if count <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        return [
            {"id": vid, "similarity_score": _float32(score), "text": self.store[vid]}
            for score, vid in scored[:count]
        ]

    def retrieve_all(self) -> list[dict[str, Any]]:
        """Every entry as ``{id, text}``, in insertion order."""
        return [{"id": vid, "text": text} for vid, text in self.store.items()]

    def export(self) -> dict[str, Any]:
        """The snapshot: ``{"next_id": n, "store": {"id": text}}``."""
        return {"next_id": self.next_id, "store": {str(k): v for k, v in self.store.items()}}

    def load(self, snapshot: dict[str, Any]) -> None:
        """Load a snapshot, re-embedding its texts in one batch."""
        self.next_id = int(snapshot["next_id"])
        self.store = {int(k): str(v) for k, v in snapshot["store"].items()}
        ids = sorted(self.store)
        vectors = self._embed([self.store[i] for i in ids]) if ids else []
        if len(vectors) != len(ids):
            raise ValueError("the embedder returned the wrong number of vectors")
        self._vectors = {i: _normalised(v) for i, v in zip(ids, vectors, strict=True)}


class MemoryVector:
    """BFCL's ``MemoryAPI_vector`` tools."""

    def __init__(self, embed: Embedder) -> None:
        self._core_store = VectorStore(MAX_CORE_MEMORY_SIZE, MAX_CORE_MEMORY_ENTRY_LENGTH, embed)
        self._archival_store = VectorStore(
            MAX_ARCHIVAL_MEMORY_SIZE, MAX_ARCHIVAL_MEMORY_ENTRY_LENGTH, embed
        )

    def _snapshot(self) -> dict[str, Any]:
        """BFCL's snapshot shape: ``{"core_memory": {next_id, store}, "archival_memory": ...}``."""
        return {
            "core_memory": self._core_store.export(),
            "archival_memory": self._archival_store.export(),
        }

    def _restore(self, snapshot: dict[str, Any]) -> None:
        self._core_store.load(snapshot["core_memory"])
        self._archival_store.load(snapshot["archival_memory"])

    def _context(self) -> str:
        # BFCL's emptiness test is on an object that is always true: the dump is shown even
        # when empty ("{}").
        return json.dumps({str(k): v for k, v in self._core_store.store.items()}, indent=4)

    def core_memory_add(self, text: str) -> dict[str, Any]:
        """Add a text to the core memory; returns its id."""
        return self._core_store.add(text)

    def core_memory_remove(self, vec_id: int) -> dict[str, str]:
        """Remove an entry from the core memory."""
        return self._core_store.remove(vec_id)

    def core_memory_update(self, vec_id: int, new_text: str) -> dict[str, str]:
        """Replace the text of a core-memory entry."""
        return self._core_store.update(vec_id, new_text)

    def core_memory_clear(self) -> dict[str, str]:
        """Clear the core memory."""
        return self._core_store.clear()

    def core_memory_retrieve(self, query: str, top_k: int = 5) -> dict[str, Any]:
        """The ``top_k`` core-memory entries most similar to ``query``."""
        return {"result": self._core_store.retrieve(query, top_k)}

    def core_memory_retrieve_all(self) -> dict[str, Any]:
        """Every core-memory entry."""
        return {"result": self._core_store.retrieve_all()}

    def archival_memory_add(self, text: str) -> dict[str, Any]:
        """Add a text to the archival memory; returns its id."""
        return self._archival_store.add(text)

    def archival_memory_remove(self, vec_id: int) -> dict[str, str]:
        """Remove an entry from the archival memory."""
        return self._archival_store.remove(vec_id)

    def archival_memory_update(self, vec_id: int, new_text: str) -> dict[str, str]:
        """Replace the text of an archival-memory entry."""
        return self._archival_store.update(vec_id, new_text)

    def archival_memory_clear(self) -> dict[str, str]:
        """Clear the archival memory."""
        return self._archival_store.clear()

    def archival_memory_retrieve(self, query: str, top_k: int = 5) -> dict[str, Any]:
        """The ``top_k`` archival-memory entries most similar to ``query``."""
        return {"result": self._archival_store.retrieve(query, top_k)}

    def archival_memory_retrieve_all(self) -> dict[str, Any]:
        """Every archival-memory entry."""
        return {"result": self._archival_store.retrieve_all()}
