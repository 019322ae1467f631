"""The offline model store: import, verify, pack, unpack elsewhere, corruption detected."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from farm.errors import ModelStoreError
from farm.models.store import ModelStore, file_kind


def make_model_dir(root: Path, *, weights: bytes = b"\x00\x01weights" * 1000) -> Path:
    """A small directory shaped like a Hugging Face model snapshot."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text('{"architectures": ["TinyForCausalLM"]}')
    (root / "generation_config.json").write_text('{"temperature": 0.7}')
    (root / "tokenizer.json").write_text('{"model": {"vocab": {}}}')
    (root / "tokenizer_config.json").write_text('{"chat_template": "{{ messages }}"}')
    (root / "model-00001-of-00002.safetensors").write_bytes(weights)
    (root / "model-00002-of-00002.safetensors").write_bytes(weights[::-1])
    (root / "model.safetensors.index.json").write_text("{}")
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache" / "download.lock").write_text("")
    return root


def test_import_records_every_file_with_its_sha256_and_kind(tmp_path):
    source = make_model_dir(tmp_path / "src")
    store = ModelStore(tmp_path / "store")
    manifest = store.import_dir(source, name="tiny")
    by_path = {f.path: f for f in manifest.files}
    assert ".cache/download.lock" not in by_path
    weights = source / "model-00001-of-00002.safetensors"
    assert by_path[weights.name].sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert by_path["config.json"].kind == "config"
    assert by_path["tokenizer.json"].kind == "tokenizer"
    assert by_path[weights.name].kind == "weights"
    assert store.verify("tiny").ok
    assert [m.name for m in store.list()] == ["tiny"]
    assert store.model_dir("tiny") == (tmp_path / "store" / "tiny" / "model").resolve()


def test_a_store_round_trips_through_a_pack_file_into_another_home(tmp_path):
    source = make_model_dir(tmp_path / "src")
    first = ModelStore(tmp_path / "home1" / "models")
    first.import_dir(source, name="tiny")
    pack = first.pack("tiny", tmp_path / "carry" / "tiny.tar.gz")
    second = ModelStore(tmp_path / "home2" / "models")
    manifest = second.unpack(pack)
    assert manifest.name == "tiny"
    report = second.verify("tiny")
    assert report.ok and report.checked == 7
    copied = second.model_dir("tiny") / "model-00002-of-00002.safetensors"
    assert copied.read_bytes() == (source / "model-00002-of-00002.safetensors").read_bytes()
    renamed = second.unpack(pack, name="tiny-copy")
    assert renamed.name == "tiny-copy" and second.verify("tiny-copy").ok


def test_a_corrupted_weights_file_is_detected_by_verify(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.import_dir(make_model_dir(tmp_path / "src"), name="tiny")
    target = store.model_dir("tiny") / "model-00001-of-00002.safetensors"
    data = bytearray(target.read_bytes())
    data[100] ^= 0xFF  # same size, different content
    target.write_bytes(bytes(data))
    assert store.verify("tiny", full=False).ok  # sizes alone cannot see it
    report = store.verify("tiny")
    assert not report.ok and report.corrupt == ["model-00001-of-00002.safetensors"]
    assert "corrupt: model-00001-of-00002.safetensors" in report.summary()


def test_a_missing_file_is_detected_and_packing_is_refused(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.import_dir(make_model_dir(tmp_path / "src"), name="tiny")
    (store.model_dir("tiny") / "tokenizer.json").unlink()
    report = store.verify("tiny", full=False)
    assert report.missing == ["tokenizer.json"]
    with pytest.raises(ModelStoreError, match="refusing to pack"):
        store.pack("tiny", tmp_path / "tiny.tar")


def test_a_pack_damaged_in_transit_is_refused_on_unpack(tmp_path):
    store = ModelStore(tmp_path / "store")
    store.import_dir(make_model_dir(tmp_path / "src"), name="tiny")
    pack = store.pack("tiny", tmp_path / "tiny.tar")
    raw = bytearray(pack.read_bytes())
    index = raw.find(b"\x00\x01weights")
    raw[index + 5] ^= 0xFF
    pack.write_bytes(bytes(raw))
    other = ModelStore(tmp_path / "other")
    with pytest.raises(ModelStoreError, match="is damaged"):
        other.unpack(pack)
    assert other.list() == []


def test_a_pack_with_a_path_escaping_the_store_is_refused(tmp_path):
    evil = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(evil, "w") as tar:
        tar.add(payload, "farm-model/tiny/manifest.json")
        tar.add(payload, "farm-model/tiny/model/../../../escape.txt")
    with pytest.raises(ModelStoreError, match="unsafe or unexpected entry"):
        ModelStore(tmp_path / "store").unpack(evil)
    assert not (tmp_path / "escape.txt").exists()


def test_importing_requires_a_config_and_weights_and_a_free_name(tmp_path):
    store = ModelStore(tmp_path / "store")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelStoreError, match="no config.json"):
        store.import_dir(empty, name="x")
    (empty / "config.json").write_text("{}")
    with pytest.raises(ModelStoreError, match="no weights file"):
        store.import_dir(empty, name="x")
    source = make_model_dir(tmp_path / "src")
    store.import_dir(source, name="tiny")
    with pytest.raises(ModelStoreError, match="already in the store"):
        store.import_dir(source, name="tiny")
    store.import_dir(source, name="tiny", force=True)
    with pytest.raises(ModelStoreError, match="invalid model store name"):
        store.import_dir(source, name="../up")
    with pytest.raises(ModelStoreError, match="is not in the store"):
        store.verify("nope")


def test_symlinked_snapshot_files_are_stored_as_their_content(tmp_path):
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    (blobs / "abc").write_bytes(b"weights!")
    snap = tmp_path / "snap"
    make_model_dir(snap)
    (snap / "extra.safetensors").symlink_to(blobs / "abc")
    store = ModelStore(tmp_path / "store")
    store.import_dir(snap, name="snap")
    stored = store.model_dir("snap") / "extra.safetensors"
    assert not stored.is_symlink() and stored.read_bytes() == b"weights!"


def test_pull_without_huggingface_hub_says_what_to_install(tmp_path):
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        with pytest.raises(ModelStoreError, match=r"needs huggingface_hub"):
            ModelStore(tmp_path / "store").pull("Qwen/Qwen3-8B")
    else:
        with pytest.raises(ModelStoreError):
            ModelStore(tmp_path / "store").pull("not a valid repo id!!")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("model.safetensors", "weights"),
        ("pytorch_model.bin.index.json", "weights"),
        ("tokenizer.model", "tokenizer"),
        ("merges.txt", "tokenizer"),
        ("modeling_chatglm.py", "code"),
        ("params.json", "config"),
        ("README.md", "other"),
    ],
)
def test_files_are_classified_by_name(name, kind):
    assert file_kind(name) == kind
