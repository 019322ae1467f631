"""Which multi-turn environment sources a worker may execute.

Workers execute BFCL's environment source text (``farm.multiturn.envs``), and that text is
read from the database (the suite row), so write access to the database would otherwise be
code execution on every worker. Before a module is executed its sha256 (of the UTF-8 text)
must be trusted:

1. the tables below: the sha256 of every environment source file of each bfcl-eval release
   the farm knows (:data:`KNOWN_SOURCES`), with the sha256 of the release's wheel as PyPI
   serves it (:data:`KNOWN_WHEELS`). Computed from the real wheels; no BFCL code is kept;
2. the operator's list: ``FARM_TRUSTED_ENV_SOURCES`` names a file in ``sha256sum`` format
   (``<sha256>  <file name>`` per line, ``#`` comments), on each machine that runs cases;
   for other bfcl-eval versions and your own suites. ``farm suites env-hashes --wheel W``
   prints the lines for a wheel you have checked.

The list lives in the package and in each machine's own settings, never in the database, so
changing a suite row cannot widen it. A module whose digest is not trusted is refused with
one line naming the file and the class (:class:`farm.errors.UntrustedSourceError`).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from farm.config import Settings, env_file, load_settings
from farm.errors import ConfigError, SuiteError

#: sha256 of each known bfcl-eval wheel file (as PyPI serves it), by version.
KNOWN_WHEELS: dict[str, str] = {
    "2026.3.23": "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a",
    "2026.3.11": "2259469c31bc59f05c493090c6a313f934af6781e4c3d713698718e5840f027b",
    "2026.3.3": "f5535299f0c6afa211befffa29e7d3e762b8384c8785437598226663e54d9951",
    "2026.2.9": "59ba8dc45168663ffe7179cba29c4ab6dba48ec4e2a396c8ab68acd8cf24fc39",
    "2025.12.17": "8555bc9407a56682ceb7d969e87eb724f6b679deb0ef05114d9c6e786406b103",
}
#: The environment sources of bfcl-eval 2025.12.17 to 2026.3.23, which are identical.
_SOURCES_2025_12: dict[str, str] = {
    "__init__.py": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "gorilla_file_system.py": "84173750930b09aaa31b90547c9bd79ce75714682608b35e78a9c1ea259faf2b",
    "long_context.py": "5c9a5710115609c779e5b2ccb43f6ad58271ed96f2ea7a797edb0d65c385aa38",
    "math_api.py": "abde32cc25e71b2ff3acf4d028a3c005b98409c174aba4abddbfe1c018afb9a8",
    "memory_api_metaclass.py": "5b924c2482797fa2055c4c606788db517470d0a65d1a64c97f21bceb5f820611",
    "memory_kv.py": "7be11ccae7741e07fcd7a2fc6664cad556357a047453db68db9e11bfec6c0ca7",
    "memory_rec_sum.py": "e5a08f4183ab2c14a330eb3db1aca5e13533e0ffe70ce1c424851944295b898c",
    "memory_vector.py": "489df326a8fc6e19270d6a349c8c3434f4bdcb360050d7ac17596eeb4da03a54",
    "message_api.py": "cf72af1635654147af17df1891a7fb354549e78a61930139f741a31f4be21121",
    "posting_api.py": "32b887aaa37c7167ad9c84ddfa7bbb855c75d3c1edab19ba868aba29acc4cfa1",
    "ticket_api.py": "6a9375aa6425410c07a151aef27f3e44e9ed1023bb5cc5c25f14f4a9b3c99116",
    "trading_bot.py": "cc2e3949035b561e9d07418b081561aa07b211672200e2e511aec074bf79fcb2",
    "travel_booking.py": "e698e22adccf0d6d41b297f2d5e44faebd828cef4752df6a4ffb1570c0c35296",
    "vehicle_control.py": "f5f7a2f28968728927a98ae12ec68a32d70781cfb74c2d7b14801772362b12d1",
    "web_search.py": "d39007b676640c560a65bcc0c4a9cff677a6a8da200a951d6d30bf7cac00037d",
}

#: sha256 of each environment source file in those wheels, by version and file name.
KNOWN_SOURCES: dict[str, dict[str, str]] = {
    "2026.3.23": _SOURCES_2025_12,
    "2026.3.11": _SOURCES_2025_12,
    "2026.3.3": _SOURCES_2025_12,
    "2026.2.9": _SOURCES_2025_12,
    "2025.12.17": _SOURCES_2025_12,
}


def source_digest(text: str) -> str:
    """The sha256 (hex) of an environment module's text, as UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def known_digests() -> frozenset[str]:
    """The digests of every environment source of every bfcl-eval release in the tables."""
    return frozenset(d for files in KNOWN_SOURCES.values() for d in files.values())


@functools.lru_cache(maxsize=8)
def _listed(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    del mtime_ns, size  # part of the cache key only: a changed file is read again
    digests: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"FARM_TRUSTED_ENV_SOURCES: cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        digest = text.split()[0].lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ConfigError(
                f"FARM_TRUSTED_ENV_SOURCES: {path} line {number} is not '<sha256>  <name>'"
            )
        digests.add(digest)
    return frozenset(digests)


def listed_digests(path: Path) -> frozenset[str]:
    """The digests listed in an operator's ``sha256sum``-format file.

    Raises:
        ConfigError: the file cannot be read or a line is not a sha256 digest.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"FARM_TRUSTED_ENV_SOURCES: cannot read {path}: {exc}") from exc
    return _listed(str(path), stat.st_mtime_ns, stat.st_size)


def trusted_digests(settings: Settings | None = None) -> frozenset[str]:
    """Every digest this machine may execute: the tables, plus ``FARM_TRUSTED_ENV_SOURCES``.

    Without ``settings`` they are read as :func:`farm.config.load_settings` would, and kept
    until the variable, the ``.env`` file (its name, place or modification time) or the
    working directory changes: a multi-turn case asks for them twice.

    Raises:
        ConfigError: ``FARM_TRUSTED_ENV_SOURCES`` names a file that cannot be read or parsed.
    """
    if settings is None:
        dotenv = Path(env_file())
        try:
            stamp = dotenv.stat().st_mtime_ns
        except OSError:
            stamp = -1
        key = (os.environ.get("FARM_TRUSTED_ENV_SOURCES"), str(dotenv.absolute()), stamp)
        path = _trust_file(key)
    else:
        path = settings.trusted_env_sources
    known = known_digests()
    return known if path is None else known | listed_digests(path)


@functools.lru_cache(maxsize=8)
def _trust_file(key: tuple[str | None, str, int]) -> Path | None:
    """``FARM_TRUSTED_ENV_SOURCES`` for one state of the environment and ``.env``."""
    del key  # the cache key only
    return load_settings().trusted_env_sources


def digest_lines(sources: Mapping[str, str]) -> list[str]:
    """``sha256sum``-format lines for environment sources (file name to text)."""
    return [f"{source_digest(text)}  {name}" for name, text in sorted(sources.items())]


def check_known_wheel(version: str, sha256: str, where: str) -> None:
    """Refuse a wheel that claims a version the table knows but is not that release.

    Versions outside :data:`KNOWN_WHEELS` pass (their sources must then be listed by the
    operator before multi-turn cases run).

    Raises:
        SuiteError: the wheel's sha256 differs from the pinned one for its version.
    """
    pinned = KNOWN_WHEELS.get(version)
    if pinned is not None and pinned != sha256:
        raise SuiteError(
            f"{where} claims bfcl-eval {version} but its sha256 is {sha256[:16]}..., not the "
            f"released wheel's {pinned[:16]}...: refusing it"
        )


def untrusted_sources(sources: Mapping[str, str], settings: Settings | None = None) -> list[str]:
    """The file names among ``sources`` that this machine would refuse to execute."""
    trusted = trusted_digests(settings)
    return sorted(name for name, text in sources.items() if source_digest(text) not in trusted)
