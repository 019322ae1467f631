"""``farm suites pull bfcl``: obtain the bfcl-eval wheel and store BFCL v4 in the database.

Where the wheel comes from, first match wins:

1. a wheel file given by the caller (``--wheel``): no network;
2. an installed ``bfcl-eval`` of the wanted version, found through its distribution
   metadata (``bfcl_eval`` itself is never imported): no network;
3. the farm's download cache (``FARM_CACHE_DIR``, default ``$FARM_HOME/cache``);
4. ``pip download --no-deps bfcl-eval==VERSION`` into that cache (pip's own settings such
   as ``PIP_INDEX_URL`` apply).
"""

from __future__ import annotations

import importlib.metadata
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from farm.config import Settings
from farm.db.models import Suite
from farm.errors import SuiteError
from farm.suites.build import SuiteData
from farm.suites.store import store_suite
from farm.suites.wheel import DirTree, read_bfcl, read_wheel

log = logging.getLogger(__name__)

#: The bfcl-eval release the farm is built and tested against.
DEFAULT_VERSION = "2026.3.23"
DISTRIBUTION = "bfcl-eval"
PIP_TIMEOUT_S = 600


def wheel_name(version: str) -> str:
    """The file name of the bfcl-eval wheel of ``version``."""
    return f"bfcl_eval-{version}-py3-none-any.whl"


def wheel_cache(settings: Settings) -> Path:
    """The directory where downloaded wheels are kept."""
    return settings.resolved_cache_dir / "wheels"


def installed_root(version: str, path: Sequence[str] | None = None) -> Path | None:
    """The site directory of an installed bfcl-eval ``version``, if any (never imports it)."""
    if path is None:
        dists = importlib.metadata.distributions(name=DISTRIBUTION)
    else:
        dists = importlib.metadata.distributions(name=DISTRIBUTION, path=list(path))
    for dist in dists:
        if dist.version != version:
            continue
        root = Path(str(dist.locate_file("")))
        if (root / "bfcl_eval" / "data").is_dir():
            return root
    return None


def download_wheel(version: str, dest: Path) -> Path:
    """Download the wheel with ``pip download --no-deps`` into ``dest``; return its path.

    Raises:
        SuiteError: pip failed (no network, unknown version); the message has pip's reason.
    """
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        f"{DISTRIBUTION}=={version}",
    ]
    log.info("running %s", " ".join(command))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SuiteError(f"pip download of {DISTRIBUTION}=={version} failed: {exc}") from exc
    target = dest / wheel_name(version)
    if done.returncode != 0 or not target.is_file():
        lines = [ln.strip() for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise SuiteError(
            f"cannot download {DISTRIBUTION}=={version} with pip: {reason} "
            "(offline? pass --wheel PATH)"
        )
    return target


def read_bfcl_source(
    settings: Settings,
    *,
    version: str | None = None,
    wheel: Path | None = None,
    site_path: Sequence[str] | None = None,
) -> SuiteData:
    """Read BFCL v4 from the first available source (see the module docstring)."""
    if wheel is not None:
        return read_wheel(Path(wheel), version=version)
    wanted = version or DEFAULT_VERSION
    root = installed_root(wanted, site_path)
    if root is not None:
        log.info("reading installed bfcl-eval %s at %s", wanted, root)
        return read_bfcl(DirTree(root), version=wanted, source=f"installed:{root}", sha256=None)
    cached = wheel_cache(settings) / wheel_name(wanted)
    if not cached.is_file():
        cached = download_wheel(wanted, wheel_cache(settings))
    return read_wheel(cached, version=wanted)


def pull_bfcl(
    settings: Settings,
    engine: Engine,
    *,
    version: str | None = None,
    wheel: Path | None = None,
) -> Suite:
    """Store BFCL v4 (suite ``bfcl``) in the database; a no-op if already loaded.

    Args:
        settings: farm settings (the download cache lives under them).
        engine: a migrated database.
        version: the bfcl-eval version (default :data:`DEFAULT_VERSION`, or the wheel's).
        wheel: a wheel file to read instead of downloading.

    Raises:
        SuiteError: the wheel cannot be obtained or read, or this version is loaded from
            different content.
    """
    data = read_bfcl_source(settings, version=version, wheel=wheel)
    suite, _created = store_suite(engine, data)
    return suite
