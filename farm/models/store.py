"""The offline model store: model directories with a sha256 manifest, portable as one tar file.

Layout under the store root (``FARM_MODEL_STORE``, default ``$FARM_HOME/models``)::

    <name>/manifest.json     name, source, created_at, format, files [{path, size, sha256, kind}]
    <name>/model/...         config, tokenizer, weights: the directory a server is started from

A model is either a Hugging Face style directory (``format`` "hf") or one GGUF file
(``format`` "gguf", served by llama.cpp; see :mod:`farm.models.gguf`).

A store is carried into an air-gapped cluster with ``farm models pack NAME FILE`` and
``farm models unpack FILE``; unpacking checks every file against the manifest before the
model becomes visible. Nothing here contacts the network except :func:`ModelStore.pull`,
and only through ``huggingface_hub`` when it is installed.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from farm.config import Settings
from farm.errors import ModelStoreError
from farm.models.gguf import SUFFIX as GGUF_SUFFIX
from farm.models.gguf import check_single_file
from farm.models.manifest import (
    CHUNK,
    Manifest,
    StoredFile,
    VerifyReport,
    copy_and_hash,
    file_kind,
    parallel,
    verify_dir,
    walk,
)

__all__ = ["PACK_ROOT", "Manifest", "ModelStore", "VerifyReport", "check_name", "file_kind"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
#: Top folder of a pack file.
PACK_ROOT = "farm-model"


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid store name, else raise :class:`ModelStoreError`."""
    if not _NAME.match(name):
        raise ModelStoreError(
            f"invalid model store name {name!r}: use letters, digits, '.', '_' and '-'"
        )
    return name


class ModelStore:
    """The model store under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelStore:
        """The store that the settings name."""
        return cls(settings.resolved_model_store)

    def entry(self, name: str) -> Path:
        """The directory of model ``name`` (it may not exist)."""
        return self.root / check_name(name)

    def model_dir(self, name: str) -> Path:
        """The absolute directory a server is started from; error if the model is unknown."""
        self.manifest(name)
        return (self.entry(name) / "model").resolve()

    def manifest(self, name: str) -> Manifest:
        """The manifest of model ``name``; :class:`ModelStoreError` if it is not stored."""
        path = self.entry(name) / "manifest.json"
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise ModelStoreError(
                f"model {name!r} is not in the store at {self.root}; "
                "add it with `farm models import DIR --name NAME` or `farm models unpack FILE`"
            ) from None
        return Manifest.from_json(text, str(path))

    def list(self) -> list[Manifest]:
        """All stored models, by name."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.glob("*/manifest.json")):
            found.append(Manifest.from_json(path.read_text(), str(path)))
        return found

    def import_dir(
        self, source: Path, *, name: str, origin: str | None = None, force: bool = False
    ) -> Manifest:
        """Copy a model directory into the store and record its manifest.

        The directory must hold a ``config.json`` (or Mistral's ``params.json``) and at
        least one weights file. Symlinks are followed (HF cache snapshots work).
        """
        check_name(name)
        if not source.is_dir():
            raise ModelStoreError(f"not a directory: {source}")
        files = list(walk(source))
        rels = [path.relative_to(source).as_posix() for path in files]
        if not {"config.json", "params.json"} & set(rels):
            raise ModelStoreError(f"{source} has no config.json: not a model directory")
        if not any(file_kind(rel) == "weights" for rel in rels):
            raise ModelStoreError(f"{source} has no weights file (*.safetensors, *.bin, ...)")
        staging = self._staging(name)
        try:
            targets = [staging / "model" / rel for rel in rels]
            for target in targets:
                target.parent.mkdir(parents=True, exist_ok=True)
            sums = parallel(copy_and_hash, list(zip(files, targets, strict=True)))
            stored = [
                StoredFile(path=rel, size=size, sha256=sha, kind=file_kind(rel))
                for rel, (size, sha) in zip(rels, sums, strict=True)
            ]
            manifest = Manifest(
                name=name,
                source=origin or str(source.resolve()),
                created_at=time.time(),
                files=stored,
            )
            (staging / "manifest.json").write_text(manifest.to_json())
            self._commit(staging, name, force=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return manifest

    def import_gguf(
        self, source: Path, *, name: str, origin: str | None = None, force: bool = False
    ) -> Manifest:
        """Copy one single-file GGUF model into the store (``format`` "gguf").

        Raises:
            ModelStoreError: if the file is not a whole GGUF model (bad magic or version,
                truncated header, one part of a split model) or the name is taken.
        """
        check_name(name)
        if not source.is_file():
            raise ModelStoreError(f"not a file: {source}")
        if not source.name.endswith(GGUF_SUFFIX):
            raise ModelStoreError(f"{source}: a single-file model must be a {GGUF_SUFFIX} file")
        check_single_file(source)
        staging = self._staging(name)
        try:
            target = staging / "model" / source.name
            target.parent.mkdir(parents=True)
            size, sha = copy_and_hash((source, target))
            manifest = Manifest(
                name=name,
                source=origin or str(source.resolve()),
                created_at=time.time(),
                files=[StoredFile(path=source.name, size=size, sha256=sha, kind="weights")],
                format="gguf",
            )
            (staging / "manifest.json").write_text(manifest.to_json())
            self._commit(staging, name, force=force)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return manifest

    def gguf_file(self, name: str) -> Path:
        """The absolute path of stored GGUF model ``name``'s file.

        Raises:
            ModelStoreError: if ``name`` is not stored, or is not a GGUF model.
        """
        manifest = self.manifest(name)
        if manifest.format != "gguf" or len(manifest.files) != 1:
            raise ModelStoreError(
                f"model {name!r} is a model directory, not a GGUF file; import a .gguf file"
            )
        return self.model_dir(name) / manifest.files[0].path

    def pull(
        self, repo_id: str, *, name: str | None = None, revision: str | None = None
    ) -> Manifest:
        """Download a Hugging Face repository and import it (needs huggingface_hub)."""
        try:
            import huggingface_hub
            from huggingface_hub.utils import HfHubHTTPError
        except ImportError:
            raise ModelStoreError(
                "`farm models pull` needs huggingface_hub (pip install 'farm[hub]'); on a "
                "machine without network, download elsewhere and use `farm models unpack`"
            ) from None
        target = name or repo_id.replace("/", "--")
        check_name(target)
        download = self._staging(target + "-download")
        try:
            try:
                huggingface_hub.snapshot_download(
                    repo_id=repo_id, revision=revision, local_dir=str(download)
                )
            except (HfHubHTTPError, OSError, ValueError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ModelStoreError(f"cannot download {repo_id!r}: {first}") from exc
            origin = f"hf:{repo_id}" + (f"@{revision}" if revision else "")
            return self.import_dir(download, name=target, origin=origin)
        finally:
            shutil.rmtree(download, ignore_errors=True)

    def verify(self, name: str, *, full: bool = True) -> VerifyReport:
        """Check every file of ``name`` against the manifest (size only when not ``full``)."""
        return verify_dir(self.entry(name) / "model", self.manifest(name), full=full)

    def remove(self, name: str) -> None:
        """Delete model ``name`` from the store."""
        self.manifest(name)
        shutil.rmtree(self.entry(name))

    def pack(self, name: str, dest: Path) -> Path:
        """Write model ``name`` into one tar file (gzip when ``dest`` ends in .gz/.tgz)."""
        report = self.verify(name, full=False)
        if not report.ok:
            raise ModelStoreError(f"refusing to pack: {report.summary()}")
        manifest = self.manifest(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        gzip = dest.name.endswith((".gz", ".tgz"))
        with tarfile.open(tmp, "w:gz") if gzip else tarfile.open(tmp, "w") as tar:
            tar.add(self.entry(name) / "manifest.json", f"{PACK_ROOT}/{name}/manifest.json")
            for item in manifest.files:
                arcname = f"{PACK_ROOT}/{name}/model/{item.path}"
                tar.add(self.entry(name) / "model" / item.path, arcname)
        tmp.replace(dest)
        return dest

    def unpack(self, archive: Path, *, name: str | None = None, force: bool = False) -> Manifest:
        """Add the model in a pack file to the store, verifying every file first."""
        if not archive.is_file():
            raise ModelStoreError(f"no such pack file: {archive}")
        try:
            tar = tarfile.open(archive, "r:*")
        except (tarfile.TarError, OSError) as exc:
            raise ModelStoreError(f"{archive} is not a model pack: {exc}") from exc
        with tar:
            members = tar.getmembers()
            packed = _packed_name(members, archive)
            target = check_name(name or packed)
            staging = self._staging(target)
            try:
                _extract(tar, members, packed, staging)
                manifest = Manifest.from_json(
                    (staging / "manifest.json").read_text(), f"{archive}:manifest.json"
                )
                manifest = replace(manifest, name=target)
                (staging / "manifest.json").write_text(manifest.to_json())
                report = verify_dir(staging / "model", manifest, full=True)
                if not report.ok:
                    raise ModelStoreError(f"pack {archive} is damaged: {report.summary()}")
                self._commit(staging, target, force=force)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return manifest

    def _staging(self, name: str) -> Path:
        path = self.root / f".staging-{name}-{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def _commit(self, staging: Path, name: str, *, force: bool) -> None:
        final = self.entry(name)
        if final.exists():
            if not force:
                raise ModelStoreError(
                    f"model {name!r} is already in the store (use --force to replace it)"
                )
            shutil.rmtree(final)
        staging.rename(final)


def _packed_name(members: Iterable[tarfile.TarInfo], archive: Path) -> str:
    for member in members:
        parts = member.name.split("/")
        if len(parts) == 3 and parts[0] == PACK_ROOT and parts[2] == "manifest.json":
            return parts[1]
    raise ModelStoreError(f"{archive} is not a model pack (no {PACK_ROOT}/NAME/manifest.json)")


def _extract(tar: tarfile.TarFile, members: list[tarfile.TarInfo], packed: str, dest: Path) -> None:
    """Extract the files of one packed model, refusing links and paths outside ``dest``."""
    prefix = f"{PACK_ROOT}/{packed}/"
    for member in members:
        if member.isdir():
            continue
        rel = member.name[len(prefix) :] if member.name.startswith(prefix) else None
        if rel is None or not member.isfile() or rel.startswith("/") or ".." in rel.split("/"):
            raise ModelStoreError(f"unsafe or unexpected entry in model pack: {member.name!r}")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:
            raise ModelStoreError(f"unreadable entry in model pack: {member.name!r}")
        with source, target.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)


def manifest_rows(manifests: Iterable[Manifest]) -> list[dict[str, Any]]:
    """Rows for ``farm models list`` (also its JSON output)."""
    return [
        {
            "name": item.name,
            "files": len(item.files),
            "bytes": item.total_bytes,
            "source": item.source,
            "format": item.format,
            "created_at": item.created_at,
        }
        for item in manifests
    ]
