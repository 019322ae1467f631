"""An explorer database: finished runs, a running run, a multi-turn case, hostile output."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from farm.db.models import Model, Result, Run, Shard, Suite, TestCase
from farm.finalize import write_run_scores

T0 = datetime(2026, 3, 1, tzinfo=UTC)
RUN_A = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
RUN_B = uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002")
RUNNING = uuid.UUID("cccccccc-0000-4000-8000-000000000003")
#: Model output that would run script if it reached the page as markup.
HOSTILE = (
    '<script>window.__pwned = "script"</script>'
    '<img src="x" onerror="window.__pwned = \'img\'">'
    '"><svg onload="window.__pwned=\'svg\'"></svg>'
    "</pre></td></table><b>bold?</b> &amp; {{ 7*7 }}"
)
BIG = "A" * (5 * 1024 * 1024)
FUNCS = [
    {
        "name": "get_weather",
        "description": "Weather <b>now</b>",
        "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}},
    }
]
#: A reply cut by max_tokens whose arguments came as an object (a protocol deviation).
TRUNCATED_INFO = {
    "finish_reason": "length",
    "content": "empty",
    "parsed_by": "server",
    "deviations": ["arguments_object"],
}
MT_TURNS = [
    [{"role": "user", "content": "Go to the docs folder."}],
    [{"role": "user", "content": "List what is there."}],
]
MT_ANSWER = [["cd(folder='docs')"], ["ls()"]]
MT_OUTPUT_A = [
    [[{"cd": {"folder": "docs"}}], "I am in docs."],
    [[{"ls": {}}], "It holds notes.txt."],
]
MT_OUTPUT_B = [[[{"cd": {"folder": "tmp"}}], "Done."], ["Nothing to list."]]
MT_DETAIL_B = {
    "error_message": "Model instance for GorillaFileSystem does not match the state with "
    "ground truth instance.",
    "execution_result": [
        {"model": [["None"], []], "ground_truth": ["None"]},
        {"model": [[]], "ground_truth": ["{'current_directory_content': ['notes.txt']}"]},
    ],
}


def _case(suite: Suite, case_id: str, category: str, **kw: Any) -> TestCase:
    return TestCase(
        suite_id=suite.id,
        case_id=case_id,
        category=category,
        language="python",
        position=int(case_id.rsplit("_", 1)[1]),
        turns=kw.get("turns", [[{"role": "user", "content": f"Question {case_id}?"}]]),
        functions=kw.get("functions", FUNCS),
        answer=kw.get("answer", [{"get_weather": {"city": ["Paris"]}}]),
        extra={},
        content_hash="0" * 64,
    )


def _result(run: uuid.UUID, case_id: str, category: str, valid: bool, **kw: Any) -> Result:
    error = kw.get("inference_error")
    return Result(
        run_id=run,
        case_id=case_id,
        category=category,
        raw_output=None if error else kw.get("raw", [{"get_weather": {"city": "Paris"}}]),
        decoded=None if error else kw.get("decoded", [{"get_weather": {"city": "Paris"}}]),
        valid=valid,
        error_type=None if valid or error else kw.get("error_type", "value_error:string"),
        error_detail=None
        if valid or error
        else kw.get("detail", {"error": ["Invalid value for parameter 'city'."]}),
        inference_error=error,
        inference_message="read timed out after 3 attempts" if error else None,
        latency_s=kw.get("latency", 0.8),
        input_tokens=120,
        output_tokens=14,
        attempts=3 if error else 1,
        endpoint="http://127.0.0.1:8000/v1",
        worker=kw.get("worker", "gpu-host-1:4242"),
        created_at=kw.get("at", T0),
        call_info=kw.get("call_info"),
    )


def running_result(i: int) -> Result:
    """The ``i``-th result of the running run (tests add more to see progress advance)."""
    return _result(RUNNING, f"simple_python_{i}", "simple_python", i % 3 != 0, at=datetime.now(UTC))


def build(session: Session) -> None:
    """Write the explorer's test data (committed by the caller)."""
    suite = Suite(name="bfcl", version="2026.3.23", source="test", sha256="0" * 64, extra={})
    session.add(suite)
    session.flush()
    session.add_all(
        [Model(key="alpha", display_name="Alpha <FC>", backend="fake", mode="fc",
               spec={"url": "https://example.org", "max_model_len": 32768}),
         Model(key="beta", display_name="Beta & Co", backend="fake", mode="fc", spec={})]
    )  # fmt: skip
    cases = [_case(suite, f"simple_python_{i}", "simple_python") for i in range(10)]
    cases += [_case(suite, f"live_simple_{i}", "live_simple") for i in range(40)]
    cases += [_case(suite, f"irrelevance_{i}", "irrelevance", answer=None) for i in range(4)]
    cases.append(
        _case(suite, "multi_turn_base_0", "multi_turn_base", turns=MT_TURNS, answer=MT_ANSWER)
    )
    session.add_all(cases)
    finished = ["simple_python", "irrelevance", "multi_turn_base"]
    for rid, model, day, label, status in (
        (RUN_A, "alpha", 0, "alpha-v1", "done"),
        (RUN_B, "alpha", 1, "alpha-v2", "done"),
        (RUNNING, "beta", 2, "beta-live", "running"),
    ):
        live = status == "running"
        session.add(
            Run(id=rid, model_key=model, suite_id=suite.id,
                categories=["live_simple"] if live else finished, mode="fc",
                generation={"temperature": 0.001}, options={"shard_size": 10},
                source="submit", status=status, n_cases=40 if live else 15,
                label=label, farm_version="test", created_at=T0 + timedelta(days=day),
                started_at=T0 + timedelta(days=day),
                finished_at=None if live else T0 + timedelta(days=day, hours=1))
        )  # fmt: skip
    session.flush()
    rows: list[Result] = []
    for i in range(8):
        cid = f"simple_python_{i}"
        rows.append(_result(RUN_A, cid, "simple_python", i % 2 == 0))
        if i != 5:
            rows.append(_result(RUN_B, cid, "simple_python", i % 4 != 1))
    rows.append(
        _result(RUN_B, "simple_python_5", "simple_python", False, raw="", decoded=None,
                error_type="inference:output_truncated", call_info=TRUNCATED_INFO)
    )  # fmt: skip
    rows.append(
        _result(RUN_A, "simple_python_8", "simple_python", False, raw=HOSTILE,
                decoded=None, error_type="ast_decoder:decoder_failed",
                detail={"error": [HOSTILE]})
    )  # fmt: skip
    rows.append(
        _result(RUN_B, "simple_python_8", "simple_python", False, raw=BIG, decoded=None,
                error_type="ast_decoder:decoder_failed", detail={"error": ["too long"]})
    )  # fmt: skip
    rows.append(_result(RUN_B, "simple_python_9", "simple_python", False,
                        inference_error="EndpointTransient"))  # fmt: skip
    rows.append(_result(RUN_A, "simple_python_9", "simple_python", True))
    for i in range(4):
        rows.append(_result(RUN_A, f"irrelevance_{i}", "irrelevance", True, raw="No call."))
        rows.append(_result(RUN_B, f"irrelevance_{i}", "irrelevance", i != 2, raw="No call."))
    rows.append(_result(RUN_A, "multi_turn_base_0", "multi_turn_base", True, raw=MT_OUTPUT_A,
                        decoded=[[["cd(folder='docs')"], []], [["ls()"], []]]))  # fmt: skip
    rows.append(
        _result(RUN_B, "multi_turn_base_0", "multi_turn_base", False, raw=MT_OUTPUT_B,
                decoded=[[["cd(folder='tmp')"], []], [[]]],
                error_type="multi_turn:instance_state_mismatch", detail=MT_DETAIL_B)
    )  # fmt: skip
    rows += [running_result(i) for i in range(12)]
    session.add_all(rows)
    lease = datetime.now(UTC) + timedelta(minutes=5)
    plan = [(0, "done", None), (1, "running", "gpu-host-2:77"), (2, "queued", None)]
    for no, status, owner in [*plan, (3, "queued", None)]:
        session.add(
            Shard(
                run_id=RUNNING,
                shard_no=no,
                case_ids=[f"live_simple_{i}" for i in range(no * 10, no * 10 + 10)],
                status=status,
                attempts=0 if status == "queued" else 1,
                lease_owner=owner,
                lease_expires_at=lease if owner else None,
            )
        )
    session.flush()
    write_run_scores(session, RUN_A)
    write_run_scores(session, RUN_B)
