"""The simulator's answers in BFCL's agentic categories (web search, memory).

The step is the number of assistant messages since the conversation's last user message
that is not a tool result. A web-search question: step 0 searches the question, step 1
fetches the first link the search returned (``truncate`` mode), then the final answer. A
memory question: step 0 reads the memory (kv: archival key search; vector: archival
retrieval; recursive summary: the memory), then the final answer. The final answer is
BFCL's answer format holding the first ground-truth alternative (a "wrong" case answers
``I do not know``). A prerequisite conversation (no case: its turns are not questions)
stores each user message (kv: an archival key-value pair; vector: an archival entry;
recursive summary: appended text), then says it noted it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from farm.answers.reply import Reply
from farm.suites.case import Case

NOTED_TEXT = "Noted."
_LINK = re.compile(r"""['"]href['"]:\s*['"](https?://[^'"]+)['"]""")
MEMORY_TOOLS = frozenset({"archival_memory_add", "memory_append"})


def _is_tool_result(message: dict[str, Any]) -> bool:
    if message.get("role") == "tool":
        return True
    content = str(message.get("content") or "")
    return message.get("role") == "user" and content.startswith("[{'role': 'tool'")


def _position(messages: Sequence[dict[str, Any]]) -> tuple[str, int, str]:
    """``(last user text, assistant steps since it, text of the newest tool results)``."""
    user_at = max(
        (i for i, m in enumerate(messages) if m.get("role") == "user" and not _is_tool_result(m)),
        default=-1,
    )
    user = str(messages[user_at].get("content") or "") if user_at >= 0 else ""
    after = messages[user_at + 1 :]
    steps = sum(1 for m in after if m.get("role") == "assistant")
    results = " ".join(str(m.get("content") or "") for m in after if _is_tool_result(m))
    return user, steps, results


def _call(name: str, args: dict[str, Any], *, fc: bool) -> Reply:
    if fc:
        return Reply(tool_calls=[(name, json.dumps(args))])
    rendered = ", ".join(f"{key}={value!r}" for key, value in args.items())
    return Reply(content=f"[{name}({rendered})]")


def final_answer(case: Case, *, wrong: bool) -> Reply:
    """BFCL's answer format with the first ground-truth alternative (or "I do not know")."""
    truths = case.answer if isinstance(case.answer, list) else []
    answer = "I do not know" if wrong or not truths else str(truths[0])
    return Reply(content=str({"answer": answer, "context": "answered by the farm simulator"}))


def _memory_read(class_name: str, question: str) -> tuple[str, dict[str, Any]]:
    if class_name == "MemoryAPI_kv":
        return "archival_memory_key_search", {"query": question}
    if class_name == "MemoryAPI_vector":
        return "archival_memory_retrieve", {"query": question}
    return "memory_retrieve", {}


def answer_agentic(
    case: Case, messages: Sequence[dict[str, Any]], *, fc: bool, wrong: bool
) -> Reply:
    """The simulated model's step in a web-search or memory question."""
    question, steps, results = _position(messages)
    classes = case.extra.get("involved_classes") or [""]
    if classes[0] == "WebSearchAPI":
        if steps == 0:
            return _call("search_engine_query", {"keywords": question[:200]}, fc=fc)
        link = _LINK.search(results)
        if steps == 1 and link is not None:
            return _call("fetch_url_content", {"url": link.group(1), "mode": "truncate"}, fc=fc)
        return final_answer(case, wrong=wrong)
    if steps == 0:
        name, args = _memory_read(str(classes[0]), question)
        return _call(name, args, fc=fc)
    return final_answer(case, wrong=wrong)


def answer_memory_prerequisite(
    messages: Sequence[dict[str, Any]], names: Sequence[str], *, fc: bool
) -> Reply:
    """The simulated model's step in a prerequisite conversation (it stores what it hears)."""
    text, steps, _results = _position(messages)
    if steps > 0 or not text:
        return Reply(content=NOTED_TEXT)
    offered = set(names)
    if "memory_append" in offered:
        return _call("memory_append", {"text": " " + text[:300]}, fc=fc)
    if "archival_memory_key_search" in offered:  # the key-value backend
        key = "note_" + hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
        return _call("archival_memory_add", {"key": key, "value": text[:1900]}, fc=fc)
    return _call("archival_memory_add", {"text": text[:1900]}, fc=fc)
