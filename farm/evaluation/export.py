"""``farm export``: one record per case of a run, as JSON Lines or CSV (no secrets)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
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


def export_lines(engine: Engine, run_spec: str, fmt: str) -> Iterator[str]:
    """Yield the export of a run, line by line (CSV starts with its header).

    Raises:
        ConfigError: unknown format. RunError: unknown run.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    with storage_errors(str(engine.url)), session_scope(engine) as session:
        run_id = resolve_run_id(session, run_spec)
        rows = session.scalars(
            select(Result)
            .where(Result.run_id == run_id)
            .order_by(Result.category, Result.case_id)
            .execution_options(yield_per=1000)
        )
        if fmt == "csv":
            yield _csv_line(list(FIELDS))
        for row in rows:
            record = _record(row)
            if fmt == "jsonl":
                yield json.dumps(record, ensure_ascii=False, default=str)
            else:
                yield _csv_line(
                    [
                        json.dumps(record[k], ensure_ascii=False)
                        if isinstance(record[k], (list, dict))
                        else ("" if record[k] is None else str(record[k]))
                        for k in FIELDS
                    ]
                )


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(values)
    return buffer.getvalue()
