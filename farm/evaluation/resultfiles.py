"""Reading a BFCL result folder (``result/<model>/``) as ``bfcl generate`` writes it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from farm.errors import ConfigError

_FILE = re.compile(r"^BFCL_v\d+_(?P<category>.+)_result\.json$")


@dataclass
class ResultFile:
    """One ``BFCL_v4_<category>_result.json`` file: its category and its entries."""

    category: str
    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)


def find_result_files(root: Path) -> list[tuple[str, Path]]:
    """``(category, path)`` of every result file under ``root`` (three levels deep at most).

    Raises:
        ConfigError: the folder does not exist or holds no result files.
    """
    if not root.is_dir():
        raise ConfigError(f"--bfcl-results: {root} is not a folder")
    found: list[tuple[str, Path]] = []
    patterns = ("*.json", "*/*.json", "*/*/*.json", "*/*/*/*.json")  # agentic/memory/kv/
    for path in sorted(p for pattern in patterns for p in root.glob(pattern)):
        match = _FILE.match(path.name)
        if match and not match.group("category").endswith("_prereq"):
            found.append((match.group("category"), path))
    if not found:
        raise ConfigError(
            f"--bfcl-results: no BFCL_v4_<category>_result.json files under {root} "
            "(give the result/<model>/ folder that 'bfcl generate' wrote)"
        )
    return found


def read_result_file(category: str, path: Path) -> ResultFile:
    """Parse a JSON Lines result file; every line must be an object with ``id`` and ``result``.

    Raises:
        ConfigError: unreadable file, malformed line, missing fields or a duplicate id.
    """
    out = ResultFile(category, path)
    seen: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ConfigError(f"{path}:{number}: not valid JSON ({exc})") from None
        if not isinstance(entry, dict) or "id" not in entry or "result" not in entry:
            raise ConfigError(f"{path}:{number}: expected an object with 'id' and 'result'")
        case_id = str(entry["id"])
        if case_id in seen:
            raise ConfigError(f"{path}:{number}: duplicate id {case_id!r}")
        seen.add(case_id)
        out.entries.append(entry)
    return out


def total_number(value: Any) -> float | None:
    """Sum of a scalar or nested list of numbers (multi-turn logs keep one per step)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        parts = [total_number(v) for v in value]
        numbers = [p for p in parts if p is not None]
        return sum(numbers) if numbers else None
    return None
