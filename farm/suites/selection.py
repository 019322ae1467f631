"""Picking cases of a suite: ``--cases`` patterns, stratified ``--sample``, id files.

``--cases`` takes comma-separated items (the option may also be repeated):

* an exact id: ``simple_python_12``, ``live_simple_13-3-9``;
* a range ``PREFIX_A-B``: every case ``PREFIX_N`` (or ``PREFIX_N-...``, as BFCL's live ids
  are) with ``A <= N <= B``, e.g. ``simple_python_0-49`` or ``live_simple_0-9``;
* a glob with ``*``, ``?`` or ``[...]``: ``multi_turn_base_1?``, ``*java*``.

An item that matches nothing is an error that names it (with the closest ids). The result
is always in the suite's order, without duplicates.

``--sample N --seed S`` draws N cases stratified by category: each category gets a share
proportional to its size (largest remainders, ties broken by the seeded hash of the
category name), and within a category
the cases with the smallest ``sha256(f"{S}:{id}")`` are taken. The same seed and the same
candidates give the same cases on every machine, and a larger sample with the same seed
contains the smaller one whenever no category's share shrinks.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from farm.errors import SuiteError

RANGE_RE = re.compile(r"^(?P<prefix>.*_)(?P<low>\d+)-(?P<high>\d+)$")
_INDEX_RE = re.compile(r"(\d+)(?:$|[-:])")
GLOB_CHARS = frozenset("*?[")


def split_items(specs: str | Iterable[str]) -> list[str]:
    """The non-empty comma-separated items of one or more ``--cases`` values."""
    values = [specs] if isinstance(specs, str) else list(specs)
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _index(case_id: str, prefix: str) -> int | None:
    """The number after ``prefix``; None if there is none.

    It ends the id or is followed by ``-`` (``live_simple_3-2-0``) or ``:``
    (``format_sensitivity_7:<config>:<original id>``).
    """
    found = _INDEX_RE.match(case_id, len(prefix))
    return int(found[1]) if found else None


def _no_match(item: str, ids: Sequence[str], what: str, scope: str) -> SuiteError:
    close = difflib.get_close_matches(item, ids, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return SuiteError(f"--cases: {what} {item!r} matches no case of {scope}{hint}")


def match_item(
    item: str, ids: Sequence[str], known: set[str], scope: str = "the suite"
) -> list[str]:
    """The ids one ``--cases`` item picks (see the module docstring).

    ``scope`` names ``ids`` in the error (``the suite``, or the categories chosen).
    """
    if item in known:
        return [item]
    if GLOB_CHARS & set(item):
        hits = [i for i in ids if fnmatch.fnmatchcase(i, item)]
        if not hits:
            raise _no_match(item, ids, "pattern", scope)
        return hits
    found = RANGE_RE.match(item)
    if found is None:
        raise _no_match(item, ids, "case id", scope)
    prefix, low, high = found["prefix"], int(found["low"]), int(found["high"])
    if low > high:
        raise SuiteError(f"--cases: empty range {item!r} ({low} > {high})")
    hits = []
    for case_id in ids:
        if case_id.startswith(prefix):
            index = _index(case_id, prefix)
            if index is not None and low <= index <= high:
                hits.append(case_id)
    if not hits:
        raise _no_match(item, ids, "range", scope)
    return hits


def pick_cases(
    specs: str | Iterable[str], ids: Sequence[str], scope: str = "the suite"
) -> list[str]:
    """The ids picked by ``--cases`` values, in the order of ``ids`` (the suite's order).

    ``scope`` names ``ids`` in errors (``the suite``, or the categories or subset chosen).

    Raises:
        SuiteError: no item given, or an item that matches no case (one line naming it).
    """
    items = split_items(specs)
    if not items:
        raise SuiteError("--cases: give case ids, ranges (simple_python_0-49) or globs")
    known = set(ids)
    chosen: set[str] = set()
    for item in items:
        chosen.update(match_item(item, ids, known, scope))
    return [i for i in ids if i in chosen]


def _rank(seed: int, case_id: str) -> bytes:
    return hashlib.sha256(f"{seed}:{case_id}".encode()).digest()


def allocate(sizes: Sequence[tuple[str, int]], n: int, seed: int = 0) -> dict[str, int]:
    """Hamilton (largest remainder) shares of ``n`` over categories of the given sizes.

    Equal remainders are ordered by the seeded hash of the category name, so that a small
    sample does not always favour the first categories.
    """
    total = sum(size for _, size in sizes)
    exact = [(name, n * size / total) for name, size in sizes]
    shares = {name: int(value) for name, value in exact}
    left = n - sum(shares.values())

    def remainder(i: int) -> tuple[float, bytes]:
        name, value = exact[i]
        return (-round(value - int(value), 9), _rank(seed, name))

    order = sorted(range(len(exact)), key=remainder)
    for i in order[:left]:
        shares[exact[i][0]] += 1
    return shares


def sample_cases(cases: Sequence[tuple[str, str]], n: int, seed: int) -> list[str]:
    """``n`` of ``cases`` (``(case_id, category)`` in suite order), stratified by category.

    Raises:
        SuiteError: ``n`` is not positive or exceeds the number of candidates.
    """
    if n <= 0:
        raise SuiteError(f"--sample must be a positive number of cases, not {n}")
    if n > len(cases):
        raise SuiteError(f"--sample {n} exceeds the {len(cases)} cases to sample from")
    by_category: dict[str, list[str]] = {}
    for case_id, category in cases:
        by_category.setdefault(category, []).append(case_id)
    shares = allocate([(c, len(ids)) for c, ids in by_category.items()], n, seed)
    chosen: set[str] = set()
    for category, ids in by_category.items():
        chosen.update(sorted(ids, key=lambda i: _rank(seed, i))[: shares[category]])
    return [case_id for case_id, _ in cases if case_id in chosen]


def read_id_file(path: Path) -> list[str]:
    """Case ids from a text file: one per line; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SuiteError(f"cannot read case id file {path}: {reason or exc}") from exc
    ids = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    ids = [i for i in ids if i]
    if not ids:
        raise SuiteError(f"{path}: holds no case ids")
    return ids


def check_ids(ids: Sequence[str], known: Sequence[str], source: str) -> list[str]:
    """``ids`` in the order of ``known``; any unknown id is an error naming the first ones."""
    present = set(known)
    missing = [i for i in dict.fromkeys(ids) if i not in present]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise SuiteError(f"{source}: {len(missing)} id(s) not in the suite: {shown}")
    wanted = set(ids)
    return [i for i in known if i in wanted]
