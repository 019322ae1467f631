"""A stored model's manifest, its files and their checks: kinds, hashes, verification.

The manifest is what :mod:`farm.models.store` writes next to each model; hashing copies and
verifying a directory against a manifest are here so the store module keeps to the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from farm.errors import ModelStoreError

_SKIP_DIRS = {".git", ".cache", "__pycache__", ".huggingface"}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".npz")
CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """One file of a stored model, relative to its ``model/`` directory."""

    path: str
    size: int
    sha256: str
    kind: str


@dataclass(frozen=True)
class Manifest:
    """What the store knows about one model."""

    name: str
    source: str
    created_at: float
    files: list[StoredFile] = field(default_factory=list)
    format: str = "hf"

    @property
    def total_bytes(self) -> int:
        """Sum of all file sizes."""
        return sum(item.size for item in self.files)

    def to_json(self) -> str:
        """The manifest as JSON text."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        """Parse a manifest; :class:`ModelStoreError` when it is malformed."""
        try:
            data = json.loads(text)
            files = [StoredFile(**item) for item in data.pop("files")]
            return cls(files=files, **data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelStoreError(f"malformed model manifest {where}: {exc}") from exc


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking a stored model against its manifest."""

    name: str
    checked: int
    missing: list[str]
    corrupt: list[str]
    extra: list[str]

    @property
    def ok(self) -> bool:
        """True when every file is present with the recorded size and hash."""
        return not (self.missing or self.corrupt)

    def summary(self) -> str:
        """One line describing the problems (or that there are none)."""
        if self.ok:
            return f"model {self.name!r}: {self.checked} files verified"
        parts = []
        if self.missing:
            parts.append(f"missing: {', '.join(self.missing)}")
        if self.corrupt:
            parts.append(f"corrupt: {', '.join(self.corrupt)}")
        return f"model {self.name!r} is damaged ({'; '.join(parts)})"


def file_kind(relpath: str) -> str:
    """Classify a model file: config, tokenizer, weights, code or other."""
    name = relpath.rsplit("/", 1)[-1].lower()
    if name.endswith(_WEIGHT_SUFFIXES) or name.endswith(".safetensors.index.json"):
        return "weights"
    if name.endswith(".bin.index.json"):
        return "weights"
    if "tokenizer" in name or name in {"vocab.json", "merges.txt", "tekken.json", "vocab.txt"}:
        return "tokenizer"
    if name.endswith((".model", ".tiktoken")) or name == "chat_template.jinja":
        return "tokenizer"
    if name.endswith(".py"):
        return "code"
    if name in {"config.json", "params.json", "generation_config.json", "preprocessor_config.json"}:
        return "config"
    return "other"


def sha256_file(path: Path) -> tuple[int, str]:
    """Size and sha256 of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


T = TypeVar("T")
R = TypeVar("R")


def parallel(func: Callable[[T], R], items: list[T]) -> list[R]:
    """``func`` over ``items`` on a few threads (hashlib releases the GIL on big buffers)."""
    if len(items) < 2:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1, len(items))) as pool:
        return list(pool.map(func, items))


def copy_and_hash(pair: tuple[Path, Path]) -> tuple[int, str]:
    """Copy ``src`` to ``dst`` (kernel copy where available) and hash what was written.

    Hashing the copy, not the source, records the bytes that are actually in the store;
    the copy is still in the page cache, so the second read is cheap
    (bench/serving_store.py measures it against a plain copy).
    """
    src, dst = pair
    shutil.copyfile(src, dst)
    return sha256_file(dst)


def walk(root: Path) -> Iterator[Path]:
    """The files under ``root``, sorted, following symlinks, skipping cache folders."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS for part in rel.parts):
            continue
        if path.is_file():  # follows symlinks: an HF cache snapshot links to blobs
            yield path


def verify_dir(base: Path, manifest: Manifest, *, full: bool) -> VerifyReport:
    """Check directory ``base`` against ``manifest``: presence, sizes, sha256 with ``full``."""
    missing, corrupt, to_hash = [], [], []
    for item in manifest.files:
        path = base / item.path
        if not path.is_file():
            missing.append(item.path)
        elif path.stat().st_size != item.size:
            corrupt.append(item.path)
        elif full:
            to_hash.append(item)
    sums = parallel(lambda item: sha256_file(base / item.path), to_hash)
    pairs = zip(to_hash, sums, strict=True)
    corrupt += [item.path for item, (_, sha) in pairs if sha != item.sha256]
    known = {item.path for item in manifest.files}
    present = {p.relative_to(base).as_posix() for p in walk(base)} if base.is_dir() else set()
    return VerifyReport(
        name=manifest.name,
        checked=len(manifest.files),
        missing=missing,
        corrupt=corrupt,
        extra=sorted(present - known),
    )
