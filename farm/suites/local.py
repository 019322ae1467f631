"""User suites: a directory of BFCL-format JSON Lines files stored as a suite.

Layout (the same as BFCL's ``data/`` folder)::

    DIR/<category>.json            entries, one JSON object per line (``.jsonl`` also read;
                                   a ``BFCL_v4_`` prefix is dropped from the category name)
    DIR/possible_answer/<same>     ground truth of that file (not needed for categories
                                   ending in ``irrelevance`` or ``relevance``)

Every entry needs ``id``, ``question`` and ``function`` (multi-turn entries, whose docs come
from environment classes, are only read from the bfcl-eval wheel).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import Engine, select

from farm.db.engine import session_scope
from farm.db.models import Suite
from farm.errors import SuiteError
from farm.suites.build import SuiteData, check_suite_ids, single_turn_cases
from farm.suites.case import Case
from farm.suites.categories import ALL
from farm.suites.jsonl import parse_jsonl
from farm.suites.store import save_suite

ANSWER_DIR = "possible_answer"
SUFFIXES = (".json", ".jsonl")
_PREFIX = re.compile(r"^BFCL_v\d+_")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def category_of(path: Path) -> str:
    """The category a file holds: its name without suffix and ``BFCL_vN_`` prefix."""
    return _PREFIX.sub("", path.stem)


def _suite_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SuiteError(f"suite directory not found: {directory}")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    if not files:
        raise SuiteError(f"{directory} holds no .json or .jsonl files")
    answers = directory / ANSWER_DIR
    if answers.is_dir():
        names = {p.name for p in files}
        for extra in sorted(answers.iterdir()):
            if extra.is_file() and extra.suffix in SUFFIXES and extra.name not in names:
                raise SuiteError(f"{extra}: answer file without a matching question file")
    return files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"cannot read {path}: {exc.strerror}") from exc


def read_directory(name: str, directory: Path, *, version: str = "1") -> SuiteData:
    """Read and check a whole user suite; raises :class:`SuiteError` naming file and line."""
    if not _NAME.match(name) or "@" in name:
        raise SuiteError(f"invalid suite name {name!r}: use letters, digits, '_', '-', '.'")
    files = _suite_files(directory)
    digest = hashlib.sha256()
    by_category: dict[str, list[Case]] = {}
    for path in files:
        category = category_of(path)
        if category in by_category:
            raise SuiteError(f"{path}: a second file for category {category!r}")
        data = _read(path)
        digest.update(path.name.encode() + b"\0" + data + b"\0")
        prompts = parse_jsonl(data, str(path))
        if not prompts:
            raise SuiteError(f"{path}: no entries")
        for line in prompts:
            if "function" not in line.obj and "involved_classes" in line.obj:
                raise SuiteError(
                    f"{line.where}: multi-turn entries are only read from the bfcl-eval wheel"
                )
        answer_path = directory / ANSWER_DIR / path.name
        answers = None
        if answer_path.is_file():
            answer_data = _read(answer_path)
            digest.update(b"answer:" + path.name.encode() + b"\0" + answer_data + b"\0")
            answers = parse_jsonl(answer_data, str(answer_path))
        by_category[category] = single_turn_cases(
            category, prompts, answers, answer_source=str(answer_path), id_prefix=False
        )
    rank = {c: i for i, c in enumerate(ALL)}
    categories = sorted(by_category, key=lambda c: (rank.get(c, len(rank)), c))
    cases = [case for category in categories for case in by_category[category]]
    check_suite_ids(cases)
    content = digest.hexdigest()
    return SuiteData(
        name=name,
        version=version,
        source=str(directory.resolve()),
        sha256=content,
        cases=cases,
        extra={"format": "bfcl_jsonl", "categories": categories, "content_sha256": content},
    )


def _next_version(versions: list[str]) -> str:
    numbers = [int(v) for v in versions if v.isdigit()]
    return str(max(numbers, default=0) + 1)


def add_suite(
    engine: Engine, name: str, directory: Path, *, version: str | None = None
) -> tuple[Suite, bool]:
    """Store a user suite in one transaction; returns the suite and whether it is new.

    Without ``version``, content already loaded under ``name`` is a no-op, and new content
    becomes the next integer version (``1``, ``2``, ...).
    """
    data = read_directory(name, directory)
    with session_scope(engine) as session:
        existing = list(session.scalars(select(Suite).where(Suite.name == name)))
        if name == "bfcl" or any(s.extra.get("format") == "bfcl_v4" for s in existing):
            raise SuiteError(f"suite name {name!r} is taken by BFCL; choose another name")
        if version is None:
            for suite in existing:
                if suite.extra.get("content_sha256") == data.extra["content_sha256"]:
                    return suite, False
            version = _next_version([s.version for s in existing])
        data.version = version
        return save_suite(session, data)
