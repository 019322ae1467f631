"""Reading the header of a GGUF file (llama.cpp's single-file model format), without loading it.

Layout (little-endian; GGUF versions 2 and 3)::

    magic "GGUF" | version u32 | tensor_count u64 | metadata_kv_count u64 |
    metadata: key (u64 length + UTF-8) | value type u32 | value | ... | tensor infos | data

Value types: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool, 8 string,
9 array (item type u32, count u64, items), 10 u64, 11 i64, 12 f64. Source: the GGUF
specification in the ggml repository (docs/gguf.md). Only scalar and string values are kept;
arrays (the tokenizer's vocabulary) are skipped.

After the metadata come the tensor infos (name string, dimension count u32, dimensions
u64 each, ggml type u32, offset u64 into the data), then the data, starting at the next
multiple of ``general.alignment`` (default 32). The file must reach the end of its last
tensor: a download cut short has a whole header and too little data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from farm.errors import ModelStoreError

MAGIC = b"GGUF"
SUFFIX = ".gguf"
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
#: ggml tensor types: (elements per block, bytes per block); ggml's type traits (ggml.c).
#: Types not listed count by their offset only (a lower bound of the file's size).
_GGML_BLOCKS: dict[int, tuple[int, int]] = {
    0: (1, 4),  # F32
    1: (1, 2),  # F16
    2: (32, 18),  # Q4_0
    3: (32, 20),  # Q4_1
    6: (32, 22),  # Q5_0
    7: (32, 24),  # Q5_1
    8: (32, 34),  # Q8_0
    9: (32, 36),  # Q8_1
    10: (256, 84),  # Q2_K
    11: (256, 110),  # Q3_K
    12: (256, 144),  # Q4_K
    13: (256, 176),  # Q5_K
    14: (256, 210),  # Q6_K
    15: (256, 292),  # Q8_K
    24: (1, 1),  # I8
    25: (1, 2),  # I16
    26: (1, 4),  # I32
    27: (1, 8),  # I64
    28: (1, 8),  # F64
    30: (1, 2),  # BF16
}
_DEFAULT_ALIGNMENT = 32
_MAX_DIMS = 8
#: Refuse headers claiming more than this (a damaged count would read for ever).
_MAX_ITEMS = 1 << 28
#: Arrays of arrays deeper than this are refused (real files nest at most once).
_MAX_DEPTH = 4


@dataclass(frozen=True)
class GgufHeader:
    """What the start of a GGUF file says.

    Attributes:
        version: the GGUF version (2 or 3).
        tensor_count: tensors in the file.
        metadata: scalar and string metadata values by key (``general.architecture``, ...).
    """

    version: int
    tensor_count: int
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)
    #: bytes the file must have to hold all its tensors' data (0: not computed).
    required_size: int = 0

    @property
    def architecture(self) -> str:
        """``general.architecture`` (``qwen2``, ``llama``...), or '' when absent."""
        return str(self.metadata.get("general.architecture", ""))

    @property
    def has_chat_template(self) -> bool:
        """Whether the file carries a chat template (``tokenizer.chat_template``)."""
        return bool(self.metadata.get("tokenizer.chat_template"))

    @property
    def split_count(self) -> int:
        """Files the model is split into (``split.count``; 1 for a single file)."""
        value = self.metadata.get("split.count", 1)
        return int(value) if isinstance(value, int) else 1


class _Reader:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def take(self, fmt: str) -> object:
        size = struct.calcsize(fmt)
        data = self.handle.read(size)
        if len(data) != size:
            raise EOFError
        return struct.unpack(fmt, data)[0]

    def count(self) -> int:
        value = self.take("<Q")
        assert isinstance(value, int)
        if value > _MAX_ITEMS:
            raise ValueError(f"implausible count {value}")
        return value

    def string(self) -> str:
        length = self.count()
        data = self.handle.read(length)
        if len(data) != length:
            raise EOFError
        return data.decode("utf-8", errors="replace")

    def value(self, kind: int, depth: int = 0) -> str | int | float | bool | None:
        if kind in _SCALARS:
            scalar = self.take(_SCALARS[kind])
            assert isinstance(scalar, (int, float, bool))
            return scalar
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            if depth >= _MAX_DEPTH:
                raise ValueError(f"arrays nested deeper than {_MAX_DEPTH}")
            item = self.take("<I")
            assert isinstance(item, int)
            items = self.count()
            if item in _SCALARS:
                self.handle.seek(items * struct.calcsize(_SCALARS[item]), 1)
            else:
                for _ in range(items):
                    self.value(item, depth + 1)
            return None
        raise ValueError(f"unknown metadata value type {kind}")


def read_gguf_header(path: Path) -> GgufHeader:
    """Read and check the header and metadata of GGUF file ``path``.

    Raises:
        ModelStoreError: when the file cannot be read, is not GGUF, has an unsupported
            version, or its header is truncated or malformed.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
            if magic != MAGIC:
                raise ModelStoreError(
                    f"{path} is not a GGUF file (it starts with {magic!r}, not {MAGIC!r})"
                )
            reader = _Reader(handle)
            version = reader.take("<I")
            assert isinstance(version, int)
            if version not in (2, 3):
                raise ModelStoreError(f"{path}: GGUF version {version} is not supported (2, 3)")
            tensors = reader.count()
            metadata: dict[str, str | int | float | bool] = {}
            for _ in range(reader.count()):
                key = reader.string()
                kind = reader.take("<I")
                assert isinstance(kind, int)
                value = reader.value(kind)
                if value is not None:
                    metadata[key] = value
            required = _data_end(reader, tensors, metadata)
    except OSError as exc:
        raise ModelStoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (EOFError, ValueError, struct.error) as exc:
        detail = str(exc) or "the file ends inside the header"
        raise ModelStoreError(f"{path} is a damaged GGUF file: {detail}") from exc
    return GgufHeader(
        version=version, tensor_count=tensors, metadata=metadata, required_size=required
    )


def _data_end(reader: _Reader, tensors: int, metadata: dict[str, str | int | float | bool]) -> int:
    """Read the tensor infos; the file offset where the last tensor's data ends."""
    end = 0
    for _ in range(tensors):
        reader.string()
        dims = reader.take("<I")
        assert isinstance(dims, int)
        if dims > _MAX_DIMS:
            raise ValueError(f"a tensor with {dims} dimensions")
        elements = 1
        for _ in range(dims):
            size = reader.take("<Q")
            assert isinstance(size, int)
            elements *= size
        kind = reader.take("<I")
        offset = reader.take("<Q")
        assert isinstance(kind, int) and isinstance(offset, int)
        block, block_bytes = _GGML_BLOCKS.get(kind, (1, 0))
        end = max(end, offset + -(-elements // block) * block_bytes)
    alignment = metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or isinstance(alignment, bool) or alignment <= 0:
        alignment = _DEFAULT_ALIGNMENT
    start = reader.handle.tell()
    return -(-start // alignment) * alignment + end


def check_single_file(path: Path) -> GgufHeader:
    """The header of ``path`` if it is a whole single-file GGUF model.

    Raises:
        ModelStoreError: for anything :func:`read_gguf_header` refuses, a file without
            tensors, or one part of a split model.
    """
    header = read_gguf_header(path)
    if header.split_count > 1:
        raise ModelStoreError(
            f"{path} is one part of a model split into {header.split_count} files; merge "
            "them first (llama-gguf-split --merge) into one GGUF file"
        )
    if header.tensor_count == 0:
        raise ModelStoreError(f"{path} holds no tensors: not a model")
    size = path.stat().st_size
    if size < header.required_size:
        raise ModelStoreError(
            f"{path} is a truncated GGUF file: {size:,} bytes of the {header.required_size:,} "
            "its tensors need (an interrupted download or copy?)"
        )
    return header


def write_gguf(path: Path, metadata: dict[str, str | int], *, tensors: int = 1) -> Path:
    """Write a small GGUF v3 file with ``metadata`` (strings and u32s) and padding data.

    For tests and stand-ins: the header is real, the tensor data is not.
    """
    out = bytearray(MAGIC + struct.pack("<IQQ", 3, tensors, len(metadata)))
    for key, value in metadata.items():
        raw = key.encode()
        out += struct.pack("<Q", len(raw)) + raw
        if isinstance(value, str):
            text = value.encode()
            out += struct.pack("<IQ", _STRING, len(text)) + text
        else:
            out += struct.pack("<II", 4, value)
    for index in range(tensors):  # one F32 vector of 16 elements (64 bytes) each
        name = f"t{index}".encode()
        out += struct.pack("<Q", len(name)) + name + struct.pack("<IQIQ", 1, 16, 0, 64 * index)
    out += bytes(-len(out) % _DEFAULT_ALIGNMENT)
    out += bytes(64 * tensors)
    path.write_bytes(bytes(out))
    return path
