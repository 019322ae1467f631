"""What the model store's manifest costs: `farm models import` vs a plain copy of the files.

Import copies every file and records its sha256; verify re-reads and hashes everything.
Prints the times side by side in one run and their ratios to the plain copy. Usage:
    python bench/serving_store.py [SIZE_MIB]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from farm.models.store import ModelStore


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 512
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = root / "model"
        source.mkdir()
        (source / "config.json").write_text("{}")
        (source / "tokenizer.json").write_text("{}")
        for shard in range(4):
            with (source / f"model-{shard:05d}.safetensors").open("wb") as out:
                for _ in range(size_mib // 4):
                    out.write(os.urandom(1024 * 1024))
        os.sync()
        runs = []
        for attempt in range(2):
            started = time.perf_counter()
            store = ModelStore(root / f"store{attempt}")
            store.import_dir(source, name="m")
            imported = time.perf_counter() - started
            started = time.perf_counter()
            assert store.verify("m").ok
            verified = time.perf_counter() - started
            started = time.perf_counter()
            shutil.copytree(source, root / f"copy{attempt}")
            copied = time.perf_counter() - started
            runs.append((imported, verified, copied))
        imported, verified, copied = (min(r[i] for r in runs) for i in range(3))
        print(
            f"{size_mib} MiB model: plain copy {copied:.2f} s, import {imported:.2f} s "
            f"({size_mib / imported:.0f} MiB/s), verify {verified:.2f} s "
            f"({size_mib / verified:.0f} MiB/s)"
        )
        print(f"ratio import / plain copy: {imported / copied:.2f}")
        print(f"ratio verify / plain copy: {verified / copied:.2f}")


if __name__ == "__main__":
    main()
