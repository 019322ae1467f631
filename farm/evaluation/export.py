"""``farm export``: one record per case of a run, as JSON Lines or CSV (no secrets).

Memory prerequisite conversations are not cases of the run (never scored, as BFCL scores
only the questions; BFCL writes them to a file of their own, ``..._prereq_result.json``):
``--prerequisites`` exports them instead, one record per conversation (:data:`PREREQ_FIELDS`).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Engine, select

from farm.db.engine import session_scope, storage_errors
from farm.db.lookup import resolve_run_id
from farm.db.models import Result
from farm.errors import ConfigError

FORMATS = ("jsonl", "csv")
FIELDS = (
    "id",
    "category",
    "valid",
    "error_type",
    "raw_output",
    "decoded",
    "error_detail",
    "inference_error",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "call_info",
)


#: Fields of a prerequisite conversation's record: BFCL's result-entry names where it has one.
PREREQ_FIELDS = (
    "id",
    "category",
    "scenario",
    "step",
    "result",
    "tool_results",
    "latency_s",
    "input_tokens",
    "output_tokens",
)


def _prereq_records(engine: Engine, run_id: uuid.UUID) -> Iterator[dict[str, Any]]:
    from farm.agentic.snapshots import SnapshotStore

    for stored in SnapshotStore(engine).prerequisites(run_id):
        t = stored.transcript
        info = t.call_info if t is not None and isinstance(t.call_info, dict) else {}
        yield {
            "id": stored.prereq_id,
            "category": stored.category,
            "scenario": stored.scenario,
            "step": stored.step,
            "result": t.raw_output if t is not None else None,
            "tool_results": info.get("tool_results"),
            "latency_s": t.latency_s if t is not None else None,
            "input_tokens": t.input_tokens if t is not None else None,
            "output_tokens": t.output_tokens if t is not None else None,
        }


def _record(row: Result) -> dict[str, Any]:
    return {
        "id": row.case_id,
        "category": row.category,
        "valid": row.valid,
        "error_type": row.error_type,
        "raw_output": row.raw_output,
        "decoded": row.decoded,
        "error_detail": row.error_detail,
        "inference_error": row.inference_error,
        "latency_s": row.latency_s,
        "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens,
        "call_info": row.call_info,
    }


def export_lines(
    engine: Engine, run_spec: str, fmt: str, *, prerequisites: bool = False
) -> Iterator[str]:
    """Yield the export of a run, line by line (CSV starts with its header).

    With ``prerequisites``: the run's memory prerequisite conversations instead of its
    cases (none for a run without memory categories; none before migration 0011 kept them).

    Raises:
        ConfigError: unknown format. RunError: unknown run.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if prerequisites:
        with storage_errors(str(engine.url)):
            with session_scope(engine) as session:
                prereq_run = resolve_run_id(session, run_spec)
            records = list(_prereq_records(engine, prereq_run))
        yield from _lines(records, PREREQ_FIELDS, fmt)
        return
    with storage_errors(str(engine.url)), session_scope(engine) as session:
        run_id = resolve_run_id(session, run_spec)
        rows = session.scalars(
            select(Result)
            .where(Result.run_id == run_id)
            .order_by(Result.category, Result.case_id)
            .execution_options(yield_per=1000)
        )
        yield from _lines((_record(row) for row in rows), FIELDS, fmt)


def _lines(records: Iterable[dict[str, Any]], fields: tuple[str, ...], fmt: str) -> Iterator[str]:
    """JSON Lines, or CSV with a header, of ``records``' ``fields``."""
    if fmt == "csv":
        yield _csv_line(list(fields))
    for record in records:
        if fmt == "jsonl":
            yield json.dumps(record, ensure_ascii=False, default=str)
        else:
            yield _csv_line(
                [
                    json.dumps(record[k], ensure_ascii=False)
                    if isinstance(record[k], (list, dict))
                    else ("" if record[k] is None else str(record[k]))
                    for k in fields
                ]
            )


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
