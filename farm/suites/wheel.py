"""Read BFCL v4 straight from the ``bfcl-eval`` wheel (or an installed copy), never importing it.

Layout read (paths inside the wheel)::

    bfcl_eval/data/BFCL_v4_<category>.json                 entries, JSON Lines
    bfcl_eval/data/possible_answer/BFCL_v4_<category>.json  ground truth, JSON Lines
    bfcl_eval/data/multi_turn_func_doc/<file>.json          multi-turn docs, JSON Lines
    bfcl_eval/constants/executable_backend_config.py        class -> doc file (a literal)
    bfcl_eval/eval_checker/multi_turn_eval/func_source_code/*.py   environment sources

Python files are only parsed with :mod:`ast` (a literal dict and class names); the
environment sources are stored as text in the suite row for the multi-turn executor.
"""

from __future__ import annotations

import ast
import hashlib
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from farm.errors import SuiteError
from farm.suites.agentic import (
    ANSWER_FORMAT_NAME,
    format_sensitivity_cases,
    memory_cases,
    memory_prereqs,
    read_prompts,
    web_search_cases,
)
from farm.suites.build import (
    SuiteData,
    check_suite_ids,
    multi_turn_cases,
    needs_answers,
    single_turn_cases,
)
from farm.suites.categories import ALL, MEMORY, MULTI_TURN, SINGLE_TURN, is_multi_turn
from farm.suites.jsonl import check_functions, parse_jsonl
from farm.suites.trust import check_known_wheel

PACKAGE = "bfcl_eval"
DATA = f"{PACKAGE}/data"
DOC_DIR = f"{DATA}/multi_turn_func_doc"
CONSTANTS = f"{PACKAGE}/constants/executable_backend_config.py"
SOURCE_DIR = f"{PACKAGE}/eval_checker/multi_turn_eval/func_source_code"
DOC_MAPPING_NAME = "MULTI_TURN_FUNC_DOC_FILE_MAPPING"


class FileTree(Protocol):
    """Read access to the files of a wheel or an installed package, by POSIX path."""

    label: str

    def names(self) -> list[str]:
        """Every file path in the tree."""

    def read(self, name: str) -> bytes | None:
        """A file's bytes, or ``None`` if it does not exist."""


class ZipTree:
    """The files of a wheel (a zip archive)."""

    def __init__(self, archive: zipfile.ZipFile, label: str) -> None:
        self._zip = archive
        self.label = label
        self._names = set(archive.namelist())

    def names(self) -> list[str]:
        """Every file path in the archive."""
        return sorted(self._names)

    def read(self, name: str) -> bytes | None:
        """A member's bytes (``None`` if absent); a damaged member raises SuiteError."""
        if name not in self._names:
            return None
        try:
            return self._zip.read(name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise SuiteError(f"corrupt wheel {self.label}: cannot read {name}: {exc}") from exc


class DirTree:
    """The files under a directory (an installed copy: site-packages holding ``bfcl_eval``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def names(self) -> list[str]:
        """Every file path under the package directory."""
        base = self.root / PACKAGE
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def read(self, name: str) -> bytes | None:
        """A file's bytes, or ``None`` if it does not exist."""
        path = self.root / name
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError as exc:
            raise SuiteError(f"cannot read {path}: {exc}") from exc


@contextmanager
def open_wheel(path: Path) -> Iterator[ZipTree]:
    """Open a wheel file; a missing or corrupt file raises :class:`SuiteError`."""
    if not path.is_file():
        raise SuiteError(f"wheel file not found: {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SuiteError(f"corrupt wheel {path}: not a zip archive ({exc})") from exc
    with archive:
        bad = _first_bad_member(archive)
        if bad is not None:
            raise SuiteError(f"corrupt wheel {path}: damaged member {bad}")
        yield ZipTree(archive, str(path))


def _first_bad_member(archive: zipfile.ZipFile) -> str | None:
    try:
        return archive.testzip()
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ) as exc:
        return f"({exc})"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_version(tree: FileTree) -> str | None:
    """The ``Version:`` of the package's ``*.dist-info/METADATA``, if there is one."""
    for name in tree.names():
        parts = name.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            text = (tree.read(name) or b"").decode("utf-8", "replace")
            for line in text.splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    return None


class _Reader:
    """Reads files from a tree and keeps a digest of everything read."""

    def __init__(self, tree: FileTree) -> None:
        self.tree = tree
        self._digest = hashlib.sha256()

    def get(self, name: str) -> bytes | None:
        data = self.tree.read(name)
        if data is not None:
            self._digest.update(name.encode() + b"\0" + data + b"\0")
        return data

    def need(self, name: str) -> bytes:
        data = self.get(name)
        if data is None:
            raise SuiteError(f"{self.tree.label} lacks {name}: not a bfcl-eval wheel?")
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _doc_mapping(reader: _Reader) -> dict[str, str]:
    """Class name -> function-doc file name, read as a literal from BFCL's constants."""
    source = reader.need(CONSTANTS).decode("utf-8")
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise SuiteError(f"{CONSTANTS}: cannot parse: {exc.msg}") from exc
    for node in module.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == DOC_MAPPING_NAME for t in node.targets
        ):
            try:
                value = ast.literal_eval(node.value)
            except ValueError as exc:
                raise SuiteError(f"{CONSTANTS}: {DOC_MAPPING_NAME} is not a literal") from exc
            if isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                return value
    raise SuiteError(f"{CONSTANTS} has no {DOC_MAPPING_NAME} dict")


def _sources(reader: _Reader) -> tuple[dict[str, str], dict[str, str]]:
    """Environment sources by file name, and the file defining each top-level class."""
    sources: dict[str, str] = {}
    class_files: dict[str, str] = {}
    prefix = f"{SOURCE_DIR}/"
    for name in reader.tree.names():
        if not name.startswith(prefix) or not name.endswith(".py") or "/" in name[len(prefix) :]:
            continue
        file_name = name[len(prefix) :]
        text = reader.need(name).decode("utf-8")
        try:
            module = ast.parse(text)
        except SyntaxError as exc:
            raise SuiteError(f"{name} line {exc.lineno}: cannot parse: {exc.msg}") from exc
        sources[file_name] = text
        for node in module.body:
            if isinstance(node, ast.ClassDef):
                class_files.setdefault(node.name, file_name)
    return sources, class_files


def _class_docs(reader: _Reader, mapping: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    docs: dict[str, list[dict[str, Any]]] = {}
    for class_name, file_name in mapping.items():
        path = f"{DOC_DIR}/{file_name}"
        data = reader.get(path)
        if data is None:
            continue  # classes of categories the farm does not load (memory, web search)
        lines = parse_jsonl(data, path)
        docs[class_name] = [check_functions([line.obj], line.where)[0] for line in lines]
    return docs


def read_bfcl(tree: FileTree, *, version: str, source: str, sha256: str | None) -> SuiteData:
    """Read every farm category of BFCL v4 from a wheel or installed tree into a SuiteData.

    ``sha256`` is the wheel file's digest; for an installed copy (``None``) the digest of
    the files read is used instead. Raises :class:`SuiteError` on any missing or bad file.
    """
    reader = _Reader(tree)
    mapping = _doc_mapping(reader)
    class_docs = _class_docs(reader, mapping)
    sources, class_files = _sources(reader)
    cases = []
    for category in (*SINGLE_TURN, *MULTI_TURN):
        prompt_path = f"{DATA}/BFCL_v4_{category}.json"
        answer_path = f"{DATA}/possible_answer/BFCL_v4_{category}.json"
        prompts = parse_jsonl(reader.need(prompt_path), prompt_path)
        answer_bytes = reader.get(answer_path)
        if answer_bytes is None and needs_answers(category):
            raise SuiteError(f"{tree.label} lacks the answer file {answer_path}")
        answers = None if answer_bytes is None else parse_jsonl(answer_bytes, answer_path)
        if is_multi_turn(category):
            cases += multi_turn_cases(
                category, prompts, answers, class_docs, answer_source=answer_path
            )
        else:
            cases += single_turn_cases(category, prompts, answers, answer_source=answer_path)
    agentic_extra: dict[str, Any] = {}
    has_memory = reader.get(f"{DATA}/BFCL_v4_memory.json") is not None
    has_web = reader.get(f"{DATA}/BFCL_v4_web_search.json") is not None
    if has_memory or has_web:  # a wheel without them (an older BFCL) loads without them
        prompts_text = read_prompts(reader.need)
        answer_format = prompts_text[ANSWER_FORMAT_NAME]
        agentic_extra["agentic_prompts"] = prompts_text
        if has_memory:
            chains = memory_prereqs(reader.need)
            agentic_extra["memory_prereq"] = chains
            cases += memory_cases(reader.need, class_docs, answer_format, chains, MEMORY)
        if has_web:
            cases += web_search_cases(reader.need, class_docs, answer_format)
    if reader.get(f"{DATA}/BFCL_v4_format_sensitivity.json") is not None:
        cases += format_sensitivity_cases(reader.need, {c.case_id: c for c in cases})
    check_suite_ids(cases)
    used = sorted({c for case in cases for c in case.extra.get("involved_classes", [])})
    missing = [c for c in used if c not in class_files]
    if missing:
        raise SuiteError(f"{tree.label}: no environment source defines {', '.join(missing)}")
    content = reader.hexdigest()
    return SuiteData(
        name="bfcl",
        version=version,
        source=source,
        sha256=sha256 or content,
        cases=cases,
        extra={
            "format": "bfcl_v4",
            "categories": [c for c in ALL if any(case.category == c for case in cases)],
            "content_sha256": content,
            "multi_turn_sources": sources,
            "multi_turn_class_files": {c: class_files[c] for c in mapping if c in class_files},
            "multi_turn_func_docs": class_docs,
            **agentic_extra,
        },
    )


def read_wheel(path: Path, *, version: str | None = None) -> SuiteData:
    """Read a bfcl-eval wheel file; ``version`` (if given) must match the wheel's own.

    A wheel of a version in :data:`farm.suites.trust.KNOWN_WHEELS` must be that release,
    byte for byte (its sha256); other versions are read as they are.
    """
    with open_wheel(path) as tree:
        found = wheel_version(tree)
        if version is not None and found is not None and found != version:
            raise SuiteError(f"wheel {path} is bfcl-eval {found}, not {version}")
        chosen = version or found
        if chosen is None:
            raise SuiteError(f"wheel {path} has no version in its METADATA; pass --version")
        digest = sha256_file(path)
        check_known_wheel(chosen, digest, f"wheel {path}")
        return read_bfcl(tree, version=chosen, source=str(path), sha256=digest)
