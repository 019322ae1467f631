"""Errata: a derived suite version from a JSON Lines file of per-case corrections.

``farm suites patch bfcl@V --errata FILE`` stores ``bfcl@V+NAME``: the cases of ``V`` with
the corrections applied. One line per case, each with a non-empty ``reason`` and one or
more changes::

    {"id": "simple_python_7", "reason": "unit is optional", "add_possible_answers":
        {"math.area": {"unit": ["", "cm"]}}}
    {"id": "multiple_3", "reason": "wrong year", "ground_truth": [{"f": {"year": [2024]}}]}
    {"id": "simple_java_2", "reason": "typo", "question": [[{"role": "user", ...}]]}
    {"id": "parallel_9", "reason": "doc lacks a parameter", "function": [{...}]}
    {"id": "live_simple_3-1-0", "reason": "ambiguous question", "remove": true}

``add_possible_answers`` maps function name -> parameter -> values, appended to the
accepted values of that parameter in every ground-truth call of that function (single-turn
AST categories). ``ground_truth`` replaces the answer (single-turn: a list of
``{function: {param: [values]}}``; multi-turn: one list of call strings per turn).
``question`` replaces the turns, ``function`` the function docs (single-turn only). The
whole file is checked before anything is stored; every problem names the file and line.
The derived version records its parent (``suites.parent_id``), the file's SHA-256
(``suites.errata_sha256``) and every change with its reason (``extra["errata"]``), and gets
the parent's named subsets (less the removed cases).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from farm.db.engine import session_scope
from farm.db.models import Subset, Suite
from farm.errors import SuiteError
from farm.suites.build import SuiteData, needs_answers
from farm.suites.case import Case
from farm.suites.categories import is_multi_turn
from farm.suites.jsonl import Line, check_functions, check_turns, parse_jsonl, require_id
from farm.suites.store import load_cases, resolve_suite, save_suite

CHANGES = ("add_possible_answers", "ground_truth", "question", "function", "remove")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass(frozen=True, slots=True)
class Erratum:
    """One checked line of an errata file."""

    case_id: str
    reason: str
    changes: dict[str, Any]
    where: str


def _check_single_truth(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise SuiteError(f"{where}: 'ground_truth' must be a non-empty list of calls")
    for call in value:
        if not isinstance(call, dict) or len(call) != 1:
            raise SuiteError(
                f"{where}: each ground-truth call must be {{function: {{param: [values]}}}}"
            )
        ((_name, params),) = call.items()
        if not isinstance(params, dict) or not all(isinstance(v, list) for v in params.values()):
            raise SuiteError(
                f"{where}: each parameter of a ground-truth call needs a list of values"
            )
    return value


def _check_multi_truth(value: Any, case: Case, where: str) -> list[list[str]]:
    if not isinstance(value, list) or not all(
        isinstance(turn, list) and all(isinstance(c, str) for c in turn) for turn in value
    ):
        raise SuiteError(f"{where}: 'ground_truth' of a multi-turn case is a list of call lists")
    if len(value) != len(case.turns):
        raise SuiteError(
            f"{where}: 'ground_truth' has {len(value)} turns, "
            f"{case.case_id!r} has {len(case.turns)}"
        )
    return value


def _add_answers(case: Case, spec: Any, where: str) -> Any:
    if is_multi_turn(case.category) or not needs_answers(case.category):
        raise SuiteError(
            f"{where}: 'add_possible_answers' applies to single-turn AST cases, "
            f"not {case.category!r}"
        )
    if not isinstance(spec, dict) or not spec:
        raise SuiteError(f"{where}: 'add_possible_answers' maps function -> param -> values")
    truth = copy.deepcopy(case.answer)
    if not isinstance(truth, list):
        raise SuiteError(f"{where}: {case.case_id!r} has no ground truth to extend")
    for fname, params in spec.items():
        calls = [c[fname] for c in truth if isinstance(c, dict) and fname in c]
        if not calls:
            raise SuiteError(
                f"{where}: function {fname!r} is not in the ground truth of {case.case_id!r}"
            )
        if not isinstance(params, dict) or not params:
            raise SuiteError(
                f"{where}: 'add_possible_answers.{fname}' maps param -> list of values"
            )
        for param, values in params.items():
            if not isinstance(values, list) or not values:
                raise SuiteError(f"{where}: new values of {fname}.{param} must be a non-empty list")
            for call in calls:
                if param not in call:
                    raise SuiteError(
                        f"{where}: {fname!r} has no parameter {param!r} in the ground truth "
                        "(use 'ground_truth' to replace the answer)"
                    )
                call[param] = call[param] + [v for v in values if v not in call[param]]
    return truth


def _apply(case: Case, erratum: Erratum) -> Case:
    changes, where = erratum.changes, erratum.where
    answer, turns, functions = case.answer, case.turns, case.functions
    if "ground_truth" in changes:
        if not needs_answers(case.category):
            raise SuiteError(f"{where}: category {case.category!r} has no ground truth")
        value = changes["ground_truth"]
        if is_multi_turn(case.category):
            answer = _check_multi_truth(value, case, where)
        else:
            answer = _check_single_truth(value, where)
    if "add_possible_answers" in changes:
        answer = _add_answers(replace(case, answer=answer), changes["add_possible_answers"], where)
    if "question" in changes:
        line = Line(where, 0, {"question": changes["question"]})
        try:
            turns = check_turns(line, allow_empty_turns=is_multi_turn(case.category))
        except SuiteError as exc:
            raise SuiteError(str(exc).replace(" line 0", "")) from None
        if is_multi_turn(case.category) and len(turns) != len(case.turns):
            raise SuiteError(
                f"{where}: 'question' must keep the {len(case.turns)} turns of the case"
            )
    if "function" in changes:
        if is_multi_turn(case.category):
            raise SuiteError(
                f"{where}: multi-turn function docs come from the environment classes; "
                "they cannot be patched per case"
            )
        functions = check_functions(changes["function"], where)
    return replace(case, answer=answer, turns=turns, functions=functions)


def parse_errata(data: bytes | str, source: str, cases: dict[str, Case]) -> list[Erratum]:
    """Check every line of an errata file against the parent's cases.

    Raises:
        SuiteError: ``source line N: ...`` for the first problem (bad JSON, unknown id or
            field, missing reason, a case named twice, a change that does not fit the case).
    """
    lines = parse_jsonl(data, source)
    if not lines:
        raise SuiteError(f"{source}: the errata file holds no corrections")
    seen: dict[str, str] = {}
    errata: list[Erratum] = []
    for line in lines:
        case_id = require_id(line)
        if case_id not in cases:
            raise SuiteError(f"{line.where}: unknown case id {case_id!r}")
        if case_id in seen:
            raise SuiteError(f"{line.where}: {case_id!r} is already corrected at {seen[case_id]}")
        seen[case_id] = line.where
        reason = line.obj.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise SuiteError(f"{line.where}: every correction needs a non-empty 'reason'")
        unknown = sorted(set(line.obj) - {"id", "reason", *CHANGES})
        if unknown:
            raise SuiteError(
                f"{line.where}: unknown field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(CHANGES)}"
            )
        changes = {k: line.obj[k] for k in CHANGES if k in line.obj}
        if not changes:
            raise SuiteError(f"{line.where}: no change given (one of {', '.join(CHANGES)})")
        if "remove" in changes:
            if changes["remove"] is not True:
                raise SuiteError(f"{line.where}: 'remove' must be true")
            if len(changes) > 1:
                raise SuiteError(f"{line.where}: a removed case takes no other change")
        erratum = Erratum(case_id, reason.strip(), changes, line.where)
        if "remove" not in changes:
            _apply(cases[case_id], erratum)
        errata.append(erratum)
    return errata


def derived_version(parent_version: str, name: str) -> str:
    """``V+NAME``; ``NAME`` is letters, digits, ``_``, ``.`` and ``-`` (40 at most)."""
    if not NAME_RE.match(name):
        raise SuiteError(
            f"invalid errata name {name!r}: use letters, digits, '_', '.' or '-' (40 at most)"
        )
    return f"{parent_version}+{name}"


def build_patched(
    parent: Suite,
    cases: list[Case],
    errata: list[Erratum],
    *,
    version: str,
    source: str,
    errata_sha256: str,
) -> SuiteData:
    """The derived suite: the parent's cases with ``errata`` applied, in the parent's order."""
    by_id = {e.case_id: e for e in errata}
    out: list[Case] = []
    for case in cases:
        erratum = by_id.get(case.case_id)
        if erratum is None:
            out.append(case)
        elif "remove" not in erratum.changes:
            out.append(_apply(case, erratum))
    if not out:
        raise SuiteError(
            f"{source}: the errata remove every case of {parent.name}@{parent.version}"
        )
    extra = dict(parent.extra or {})
    extra.pop("content_sha256", None)
    extra["errata"] = {
        "parent": f"{parent.name}@{parent.version}",
        "file": source,
        "sha256": errata_sha256,
        "changes": [
            {"id": e.case_id, "reason": e.reason, "fields": sorted(e.changes)} for e in errata
        ],
    }
    digest = hashlib.sha256(f"{parent.sha256}:{errata_sha256}".encode()).hexdigest()
    return SuiteData(parent.name, version, source, digest, out, extra)


def patch_suite(
    engine: Engine, spec: str, path: Path, *, name: str | None = None
) -> tuple[Suite, bool, int]:
    """Store ``NAME@V+ERRATA`` from ``spec`` (``NAME@V``) and the errata file at ``path``.

    Returns:
        The derived suite row, whether it was created (False: the same errata were already
        applied to the same parent) and the number of corrections.

    Raises:
        SuiteError: unreadable or invalid errata (file and line named), an invalid name, or
            a derived version of that name made from different errata.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"cannot read errata file {path}: {exc.strerror or exc}") from exc
    errata_sha = hashlib.sha256(raw).hexdigest()
    label = name if name is not None else path.stem
    with session_scope(engine) as session:
        parent = resolve_suite(session, spec)
        version = derived_version(parent.version, label)
        existing = _existing(session, parent, version)
        if existing is not None:
            if existing.errata_sha256 == errata_sha and existing.parent_id == parent.id:
                return existing, False, len(existing.extra.get("errata", {}).get("changes", []))
            raise SuiteError(
                f"{parent.name}@{version} already exists from other errata "
                f"(sha256 {str(existing.errata_sha256)[:12]}); choose another --name"
            )
        cases = load_cases(session, parent.id)
        errata = parse_errata(raw, str(path), {c.case_id: c for c in cases})
        data = build_patched(
            parent, cases, errata, version=version, source=str(path), errata_sha256=errata_sha
        )
        suite, created = save_suite(session, data)
        suite.parent_id = parent.id
        suite.errata_sha256 = errata_sha
        _carry_subsets(session, parent, suite, {e.case_id for e in errata if "remove" in e.changes})
        session.flush()
        return suite, created, len(errata)


def _carry_subsets(session: Session, parent: Suite, derived: Suite, removed: set[str]) -> None:
    """The parent's named subsets, on the derived version too (less the removed cases)."""
    for subset in session.scalars(select(Subset).where(Subset.suite_id == parent.id)):
        ids = [c for c in subset.case_ids if c not in removed]
        if ids:
            session.add(
                Subset(
                    suite_id=derived.id,
                    name=subset.name,
                    case_ids=ids,
                    definition=f"{subset.definition} (from {parent.name}@{parent.version})",
                )
            )


def _existing(session: Session, parent: Suite, version: str) -> Suite | None:
    return session.scalars(
        select(Suite).where(Suite.name == parent.name, Suite.version == version)
    ).first()
