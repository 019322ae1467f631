"""``farm evaluate``: store an existing BFCL result tree as a run and score it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Engine, Table, Text, insert, select, type_coerce
from sqlalchemy.orm import Session

from farm import __version__
from farm.agentic.sensitivity import STAT_KIND
from farm.benchmarks.registry import benchmark_for
from farm.db.base import utcnow
from farm.db.engine import session_scope, storage_errors
from farm.db.models import Model, Result, Run, RunScore, Suite, TestCase
from farm.errors import ConfigError
from farm.evaluation.resultfiles import (
    ResultFile,
    find_result_files,
    read_result_file,
    total_number,
)
from farm.finalize import write_run_scores
from farm.formats import get_format
from farm.formats.families import FAMILIES, predecode
from farm.formats.fit import fit_warning
from farm.scoring.score import is_relevance_category
from farm.scoring.verdict import Verdict, json_safe
from farm.suites.case import Case
from farm.suites.categories import PROMPT_ONLY, is_multi_turn
from farm.suites.store import category_counts, resolve_suite

INFERENCE_ERROR_PREFIX = "Error during inference"
_BATCH = 2000
#: Outputs per result file read by the format-fit check.
_FIT_SAMPLE = 200
_RESULTS = cast(Table, Result.__table__)


@dataclass
class CategorySummary:
    """Per-category outcome of an import."""

    category: str
    n: int
    correct: int
    expected: int

    @property
    def partial(self) -> bool:
        """Fewer entries than the suite has for this category."""
        return self.n < self.expected


@dataclass
class EvaluateReport:
    """What ``farm evaluate`` stored and scored."""

    run_id: uuid.UUID
    model: str
    suite: str
    mode: str
    underscore_to_dot: bool
    categories: list[CategorySummary] = field(default_factory=list)
    sections: dict[str, tuple[float, bool]] = field(default_factory=dict)
    #: BFCL's format-sensitivity statistics (``accuracy_max_delta``, ...), when scored.
    format_sensitivity: dict[str, float] = field(default_factory=dict)
    skipped_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the ``--json`` line)."""
        return {
            "run_id": str(self.run_id),
            "model": self.model,
            "suite": self.suite,
            "mode": self.mode,
            "underscore_to_dot": self.underscore_to_dot,
            "categories": {
                c.category: {
                    "n": c.n,
                    "correct": c.correct,
                    "accuracy": c.correct / c.n if c.n else 0.0,
                    "partial": c.partial,
                    "suite_size": c.expected,
                }
                for c in self.categories
            },
            "partial": [c.category for c in self.categories if c.partial],
            "sections": {k: {"accuracy": a, "ran": r} for k, (a, r) in self.sections.items()},
            "format_sensitivity": self.format_sensitivity or None,
            "skipped_files": self.skipped_files,
            "warnings": self.warnings,
        }


def detect_underscore_to_dot(
    files: Sequence[ResultFile], cases: dict[str, Case], call_format: str = "fc"
) -> bool:
    """Whether an FC result names dotted functions with underscores (BFCL's flag)."""
    for result_file in files:
        for entry in result_file.entries:
            case = cases.get(str(entry["id"]))
            raw = entry.get("result")
            if call_format in FAMILIES and case is not None and not is_multi_turn(case.category):
                raw = predecode(raw, call_format, case.functions)
            if case is None or not isinstance(raw, list):
                continue
            mapped = {
                str(d.get("name", "")).replace(".", "_")
                for d in case.functions
                if isinstance(d, dict) and "." in str(d.get("name", ""))
            }
            for item in raw:
                if isinstance(item, dict) and any(k in mapped for k in item):
                    return True
    return False


def _verdict(case: Case, raw: Any, mode: str, dots: bool, extra: dict[str, Any]) -> Verdict:
    bench = benchmark_for(case.category)
    if isinstance(raw, str) and raw.startswith(INFERENCE_ERROR_PREFIX):
        return bench.score_failure(case, raw[len(INFERENCE_ERROR_PREFIX) :].lstrip(": "))
    return bench.score(case, raw, mode=mode, underscore_to_dot=dots, suite_extra=extra)


def _result_row(
    run_id: uuid.UUID, case: Case, entry: dict[str, Any], verdict: Verdict
) -> dict[str, Any]:
    raw = entry.get("result")
    failed = isinstance(raw, str) and raw.startswith(INFERENCE_ERROR_PREFIX)
    latency = total_number(entry.get("latency"))
    tokens_in = total_number(entry.get("input_token_count"))
    tokens_out = total_number(entry.get("output_token_count"))
    return {
        "run_id": run_id,
        "case_id": case.case_id,
        "category": case.category,
        "raw_output": None if failed else json_safe(raw),
        "decoded": verdict.decoded,
        "valid": verdict.valid,
        "error_type": verdict.error_type,
        "error_detail": json_safe(verdict.detail),
        "inference_error": "inference_error" if failed else None,
        "inference_message": json_safe(raw)[:10_000] if failed else None,
        "latency_s": latency,
        "input_tokens": int(tokens_in) if tokens_in is not None else None,
        "output_tokens": int(tokens_out) if tokens_out is not None else None,
        "attempts": 1,
        "created_at": utcnow(),
    }


def _upsert_model(session: Session, name: str, mode: str, dots: bool) -> None:
    model = session.get(Model, name)
    if model is None:
        session.add(
            Model(
                key=name,
                display_name=name,
                backend="imported",
                mode=mode,
                spec={"underscore_to_dot": dots, "source": "evaluate"},
            )
        )
    else:
        model.mode = mode


def evaluate_results(
    engine: Engine,
    results_dir: Path,
    *,
    mode: str,
    model: str,
    suite_spec: str = "bfcl",
    underscore_to_dot: bool | None = None,
    label: str | None = None,
) -> EvaluateReport:
    """Import a BFCL result folder as a run (source ``evaluate``), score it, store scores.

    Args:
        engine: a migrated database.
        results_dir: ``result/<model>/`` with ``non_live/``, ``live/`` and ``multi_turn/``.
        mode: the call format that decodes the outputs: ``fc``, ``prompt`` or a family of
            :mod:`farm.formats.families` (e.g. ``hermes`` for BFCL's Qwen FC results).
        model: the model name the run is stored under (a ``models`` row is upserted).
        suite_spec: suite to score against (``bfcl`` = newest loaded version).
        underscore_to_dot: FC names had ``.`` replaced by ``_``; None detects it.
        label: optional run label.

    Raises:
        ConfigError: unknown call format, unreadable tree, or ids the suite does not have.
        SuiteError: unknown suite.
    """
    call_format = get_format(mode)
    located = find_result_files(results_dir)
    skipped: list[str] = []
    with storage_errors(str(engine.url)), session_scope(engine) as session:
        suite = resolve_suite(session, suite_spec)
        counts = category_counts(session, suite.id)
        files = []
        for category, path in located:
            if category not in counts:
                skipped.append(f"{path.name} (category {category!r} not in {suite.name})")
                continue
            if category in PROMPT_ONLY and not call_format.runs_format_sensitivity:
                skipped.append(
                    f"{path.name} ({category} is scored in prompt mode only, as BFCL runs it; "
                    f"mode is {mode!r})"
                )
                continue
            files.append(read_result_file(category, path))
        if not files:
            why = f": skipped {'; '.join(skipped)}" if skipped else ""
            raise ConfigError(
                f"no result file under {results_dir} matches a category of the suite{why}"
            )
        categories = [c for c in counts if any(f.category == c for f in files)]
        cases = _load_cases(session, suite.id, categories)
        _check_ids(files, cases)
        dots = (
            underscore_to_dot
            if underscore_to_dot is not None
            else call_format.replaces_dots and detect_underscore_to_dot(files, cases, mode)
        )
        sample = (e.get("result") for f in files for e in f.entries[:_FIT_SAMPLE])
        misfit = fit_warning(sample, mode)
        run_id = _store(session, suite, files, cases, model, mode, dots, label, results_dir)
        write_run_scores(session, run_id)
        report = EvaluateReport(run_id, model, f"{suite.name}@{suite.version}", mode, dots)
        for score in session.query(RunScore).filter(RunScore.run_id == run_id):
            if score.kind == "section":
                report.sections[score.category] = (score.accuracy, score.ran)
            elif score.kind == STAT_KIND:
                report.format_sensitivity[score.category] = score.accuracy
            elif score.kind == "category":
                report.categories.append(
                    CategorySummary(score.category, score.n, score.correct, counts[score.category])
                )
        order = {c: i for i, c in enumerate(counts)}
        report.categories.sort(key=lambda c: order.get(c.category, len(order)))
        report.skipped_files = skipped
        report.warnings = [misfit] if misfit else []
    return report


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return orjson.loads(value)
    return value


def _load_cases(session: Session, suite_id: int, categories: list[str]) -> dict[str, Case]:
    """The suite's cases of ``categories``, without their questions (scoring never reads them).

    JSON columns are read as text and parsed here with orjson (several times faster than
    the driver's ``json``), and the function docs of relevance categories are not parsed at
    all: their verdict only asks whether a call decodes.
    """
    rows = session.execute(
        select(
            TestCase.case_id,
            TestCase.category,
            TestCase.language,
            type_coerce(TestCase.functions, Text),
            type_coerce(TestCase.answer, Text),
            type_coerce(TestCase.extra, Text),
            TestCase.position,
        ).where(TestCase.suite_id == suite_id, TestCase.category.in_(categories))
    )
    cases: dict[str, Case] = {}
    for case_id, category, language, functions, answer, extra, position in rows:
        skip_docs = is_relevance_category(category)
        cases[case_id] = Case(
            case_id,
            category,
            language,
            [],
            [] if skip_docs else _json(functions),
            _json(answer),
            _json(extra) or {},
            position,
        )
    return cases


def _check_ids(files: Sequence[ResultFile], cases: dict[str, Case]) -> None:
    seen: dict[str, Path] = {}
    for result_file in files:
        for entry in result_file.entries:
            earlier = seen.setdefault(str(entry["id"]), result_file.path)
            if earlier != result_file.path:
                raise ConfigError(
                    f"id {entry['id']!r} is in both {earlier} and {result_file.path} "
                    "(give the folder of one model: result/<model>/)"
                )
            case = cases.get(str(entry["id"]))
            if case is None or case.category != result_file.category:
                raise ConfigError(
                    f"{result_file.path}: id {entry['id']!r} is not a "
                    f"{result_file.category} case of the suite"
                )


def _store(
    session: Session,
    suite: Suite,
    files: Sequence[ResultFile],
    cases: dict[str, Case],
    model: str,
    mode: str,
    dots: bool,
    label: str | None,
    results_dir: Path,
) -> uuid.UUID:
    _upsert_model(session, model, mode, dots)
    now = utcnow()
    run = Run(
        model_key=model,
        suite_id=suite.id,
        categories=[f.category for f in files],
        mode=mode,
        options={"bfcl_results": str(results_dir), "underscore_to_dot": dots},
        source="evaluate",
        status="done",
        n_cases=sum(len(f.entries) for f in files),
        label=label,
        farm_version=__version__,
        created_at=now,
        started_at=now,
        finished_at=now,
    )
    session.add(run)
    session.flush()
    extra = dict(suite.extra or {})
    rows: list[dict[str, Any]] = []
    for result_file in files:
        for entry in result_file.entries:
            case = cases[str(entry["id"])]
            verdict = _verdict(case, entry.get("result"), mode, dots, extra)
            rows.append(_result_row(run.id, case, entry, verdict))
            if len(rows) >= _BATCH:
                session.execute(insert(_RESULTS), rows)
                rows = []
    if rows:
        session.execute(insert(_RESULTS), rows)
    session.flush()
    return run.id
