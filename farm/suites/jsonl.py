"""BFCL-format files: JSON Lines of entries, answers and function docs, checked line by line.

BFCL's data files carry a ``.json`` suffix but hold one JSON object per line. Every problem
found here raises :class:`SuiteError` naming the file and the line, so a user can fix it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from farm.errors import SuiteError


@dataclass(frozen=True, slots=True)
class Line:
    """One parsed JSON object and where it came from."""

    source: str
    lineno: int
    obj: dict[str, Any]

    @property
    def where(self) -> str:
        """``file line N`` for messages."""
        return f"{self.source} line {self.lineno}"


def parse_jsonl(data: bytes | str, source: str) -> list[Line]:
    """Parse JSON Lines text into objects, skipping blank lines.

    Raises:
        SuiteError: a line is not valid JSON or not a JSON object, or the file is not UTF-8.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            reason = f"{exc.reason} at byte {exc.start}"
            raise SuiteError(f"{source}: not UTF-8 text ({reason})") from exc
    else:
        text = data
    lines: list[Line] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{source} line {lineno}: invalid JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise SuiteError(f"{source} line {lineno}: expected a JSON object")
        lines.append(Line(source, lineno, obj))
    return lines


def require_id(line: Line) -> str:
    """The entry's non-empty string ``id``."""
    case_id = line.obj.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise SuiteError(f"{line.where}: missing or empty 'id'")
    return case_id


def check_unique(lines: list[Line]) -> None:
    """Raise on the first id that occurs twice."""
    seen: dict[str, Line] = {}
    for line in lines:
        case_id = require_id(line)
        first = seen.get(case_id)
        if first is not None:
            raise SuiteError(
                f"{line.where}: duplicate case id {case_id!r} (first at {first.where})"
            )
        seen[case_id] = line


def check_turns(line: Line, *, allow_empty_turns: bool) -> list[list[dict[str, Any]]]:
    """The entry's ``question``: a list of turns, each a list of ``{role, content}`` messages."""
    turns = line.obj.get("question")
    if not isinstance(turns, list) or not turns:
        raise SuiteError(f"{line.where}: 'question' must be a non-empty list of turns")
    for index, turn in enumerate(turns):
        if not isinstance(turn, list):
            raise SuiteError(f"{line.where}: turn {index} of 'question' is not a list of messages")
        if not turn and not allow_empty_turns:
            raise SuiteError(f"{line.where}: turn {index} of 'question' is empty")
        for message in turn:
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise SuiteError(
                    f"{line.where}: turn {index} holds a message without a string 'role'"
                )
            if "content" not in message:
                raise SuiteError(f"{line.where}: turn {index} holds a message without 'content'")
    return turns


def check_functions(value: Any, where: str) -> list[dict[str, Any]]:
    """A list of function docs, each an object with a string ``name``."""
    if not isinstance(value, list):
        raise SuiteError(f"{where}: 'function' must be a list of function docs")
    for doc in value:
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
            raise SuiteError(f"{where}: a function doc has no string 'name'")
    return value


def answers_by_id(lines: list[Line]) -> dict[str, Line]:
    """Possible-answer records keyed by id; each must have ``ground_truth``."""
    check_unique(lines)
    out: dict[str, Line] = {}
    for line in lines:
        if "ground_truth" not in line.obj:
            raise SuiteError(f"{line.where}: missing 'ground_truth'")
        out[require_id(line)] = line
    return out


def content_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
