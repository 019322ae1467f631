"""Test data for the report tests, written with the ORM into the real database."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from farm.db.models import Model, Result, Run, RunScore, Suite

__all__ = ["Model", "Result", "Run", "RunScore", "Suite"]
from farm.scoring.sections import CategoryScore, compute_sections

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One result row: case id, category, verdict, and optionally timing and errors."""

    case_id: str
    category: str
    valid: bool
    latency: float | None = None
    inference_error: str | None = None
    error_type: str | None = None
    tokens: tuple[int, int] = (0, 0)


def suite(session: Session, name: str = "bfcl", version: str = "2026.3.23") -> Suite:
    row = Suite(name=name, version=version, source="test", sha256="0" * 64, extra={})
    session.add(row)
    session.flush()
    return row


def model(session: Session, key: str, display: str | None = None, **spec: object) -> Model:
    row = Model(key=key, display_name=display or key, backend="fake", mode="fc", spec=dict(spec))
    session.add(row)
    session.flush()
    return row


def run(
    session: Session,
    model_row: Model,
    suite_row: Suite,
    cases: list[Case],
    *,
    day: int = 0,
    label: str | None = None,
    run_id: uuid.UUID | None = None,
) -> Run:
    """A finished run with its results, category scores and section scores."""
    categories = list(dict.fromkeys(c.category for c in cases))
    row = Run(
        id=run_id or uuid.uuid4(),
        model_key=model_row.key,
        suite_id=suite_row.id,
        categories=categories,
        mode="fc",
        source="evaluate",
        status="done",
        n_cases=len(cases),
        label=label,
        farm_version="test",
        created_at=T0 + timedelta(days=day),
    )
    session.add(row)
    session.flush()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in cases:
        session.add(
            Result(
                run_id=row.id,
                case_id=c.case_id,
                category=c.category,
                raw_output=None if c.inference_error else "x",
                valid=c.valid,
                error_type=c.error_type,
                inference_error=c.inference_error,
                latency_s=c.latency,
                input_tokens=c.tokens[0],
                output_tokens=c.tokens[1],
            )
        )
        counts[c.category][0] += 1
        counts[c.category][1] += int(c.valid)
        counts[c.category][2] += int(c.inference_error is not None)
    scores = {}
    for category, (n, correct, errors) in counts.items():
        scores[category] = CategoryScore(category, n, correct)
        session.add(
            RunScore(
                run_id=row.id,
                category=category,
                kind="category",
                n=n,
                correct=correct,
                errors=errors,
                accuracy=correct / n,
                ran=True,
            )
        )
    for section in compute_sections(scores):
        session.add(
            RunScore(
                run_id=row.id,
                category=section.name,
                kind="section",
                n=section.n,
                correct=0,
                errors=0,
                accuracy=section.accuracy,
                ran=section.ran,
            )
        )
    session.flush()
    return row


def cases(category: str, verdicts: str, *, prefix: str | None = None) -> list[Case]:
    """Cases ``<category>_<i>`` from a verdict string such as ``"1101"`` (1 = valid)."""
    stem = prefix or category
    return [Case(f"{stem}_{i}", category, ch == "1") for i, ch in enumerate(verdicts)]
