"""``MemoryAPI_rec_sum``: one text memory kept by recursive summarisation.

Facts from ``func_source_code/memory_rec_sum.py`` of bfcl-eval 2026.3.23: the memory is one
string of at most 10,000 characters; the system prompt shows it (or a fixed sentence when
empty) with BFCL's "unified" memory instruction.
"""

from __future__ import annotations

from typing import Any

MAX_MEMORY_ENTRY_LENGTH = 10000


def _too_long(action: str) -> dict[str, str]:
    return {
        "error": f"Entry will be too long after {action}. Please shorten the entry to less "
        f"than {MAX_MEMORY_ENTRY_LENGTH} characters."
    }


class MemoryRecSum:
    """BFCL's ``MemoryAPI_rec_sum`` tools."""

    def __init__(self) -> None:
        self._memory = ""

    def _snapshot(self) -> dict[str, Any]:
        """BFCL's snapshot shape: ``{"memory": text}``."""
        return {"memory": self._memory}

    def _restore(self, snapshot: dict[str, Any]) -> None:
        memory = snapshot["memory"]
        if not isinstance(memory, str):
            raise TypeError(f"memory snapshot holds {type(memory).__name__}, not text")
        self._memory = memory

    def _context(self) -> str:
        if not self._memory:
            return "There is no content in the memory at this point."
        return self._memory

    def memory_append(self, text: str) -> dict[str, str]:
        """Append text to the memory."""
        text = str(text)
        if len(self._memory + text) > MAX_MEMORY_ENTRY_LENGTH:
            return _too_long("appending")
        self._memory += text
        return {"status": "Memory appended."}

    def memory_update(self, text: str) -> dict[str, str]:
        """Replace the whole memory with ``text``."""
        text = str(text)
        if len(text) > MAX_MEMORY_ENTRY_LENGTH:
            return _too_long("updating")
        self._memory = text
        return {"status": "Memory updated."}

    def memory_clear(self) -> dict[str, str]:
        """Clear the memory."""
        self._memory = ""
        return {"status": "Short term memory cleared."}

    def memory_replace(self, old_text: str, new_text: str) -> dict[str, str]:
        """Replace every occurrence of ``old_text`` with ``new_text``."""
        old_text, new_text = str(old_text), str(new_text)
        if old_text not in self._memory:
            return {"error": f"Text '{old_text}' not found in memory."}
        if len(new_text) > MAX_MEMORY_ENTRY_LENGTH:
            return _too_long("replacing")
        self._memory = self._memory.replace(old_text, new_text)
        return {"status": "Memory updated."}

    def memory_retrieve(self) -> dict[str, str]:
        """The memory's content."""
        if not self._memory:
            return {"error": "Memory is empty."}
        return {"memory_content": self._memory}
