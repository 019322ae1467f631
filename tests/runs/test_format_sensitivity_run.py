"""`farm run --mode prompt -c format_sensitivity` end to end against the simulator."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select

from farm.config import load_settings
from farm.db.engine import session_scope
from farm.db.migrate import open_database
from farm.db.models import Result
from farm.simulator.server import SimulatorConfig, running_simulator
from farm.suites.build import SuiteData
from farm.suites.case import Case
from farm.suites.sensitivity import all_configs, case_id
from farm.suites.store import store_suite
from tests.conftest import run_farm


def _doc(name: str) -> dict:
    return {
        "name": name,
        "description": f"Do {name}.",
        "parameters": {
            "type": "dict",
            "properties": {
                "city": {"type": "string", "description": "City."},
                "days": {"type": "integer", "description": "Days."},
                "stops": {"type": "array", "items": {"type": "string"}, "description": "Stops."},
            },
            "required": ["city"],
        },
    }


ORIGINALS = [
    Case(
        "simple_python_1",
        "simple_python",
        "python",
        [[{"role": "user", "content": "Plan three days in Oslo."}]],
        [_doc("trip.plan")],
        [{"trip.plan": {"city": ["Oslo"], "days": [3], "stops": [["museum", "fjord"], ""]}}],
        position=0,
    ),
    Case(
        "parallel_1",
        "parallel",
        "python",
        [[{"role": "user", "content": "Plan Rome and Nice."}]],
        [_doc("trip.plan")],
        [{"trip.plan": {"city": ["Rome"]}}, {"trip.plan": {"city": ["Nice"], "days": [2]}}],
        position=1,
    ),
]


def fs_suite() -> SuiteData:
    clones = [
        Case(
            case_id(i * len(all_configs()) + j, config, o.case_id),
            "format_sensitivity",
            "python",
            o.turns,
            o.functions,
            o.answer,
            {"config": config, "original_id": o.case_id, "original_category": o.category},
            position=i * len(all_configs()) + j,
        )
        for i, o in enumerate(ORIGINALS)
        for j, config in enumerate(all_configs())
    ]
    return SuiteData(
        name="fs-mini",
        version="1",
        source="tests/runs/test_format_sensitivity_run.py",
        sha256="fs-mini-1",
        cases=[*ORIGINALS, *clones],
        extra={},
    )


def test_a_prompt_run_of_every_configuration_scores_like_other_categories(farm_home: Path) -> None:
    engine = open_database(load_settings())
    data = fs_suite()
    store_suite(engine, data)
    clones = [c for c in data.cases if c.category == "format_sensitivity"]
    base = ["run", "--model", "simulator", "--suite", "fs-mini@1", "-c", "format_sensitivity"]
    with running_simulator(data.cases, SimulatorConfig(latency_s=0.0)) as sim:
        fc = run_farm(*base, "--endpoint", sim.base_url, "--mode", "fc")
        assert fc.returncode != 0
        assert "prompt mode only" in fc.stderr and "Traceback" not in fc.stderr
        assert len(fc.stderr.strip().splitlines()) == 1
        done = run_farm(*base, "--endpoint", sim.base_url, "--mode", "prompt", "--json")
        assert done.returncode == 0, done.stderr
    run_id = uuid.UUID(json.loads(done.stdout.splitlines()[-1])["run_id"])
    with session_scope(engine) as session:
        rows = {
            r.case_id: r for r in session.scalars(select(Result).where(Result.run_id == run_id))
        }
    assert sorted(rows) == sorted(c.case_id for c in clones)  # the originals did not run
    for cid, row in rows.items():
        assert row.inference_error is None, (cid, row.inference_message)
        assert row.valid, (cid, row.error_type, row.error_detail, row.raw_output)
    raw = {cid.split(":")[1]: row.raw_output for cid, row in rows.items()}
    json_tagged = (
        "ret_fmt=json&tool_call_tag=True&func_doc_fmt=xml&prompt_fmt=plaintext&style=classic"
    )
    assert raw[json_tagged].startswith('<TOOLCALL>[{"function": "trip.plan"')


def test_compare_of_a_prompt_and_an_fc_sample_of_all_says_why_the_cases_differ(
    farm_home: Path,
) -> None:
    """`-c all --sample 2` draws from format sensitivity in prompt mode only, so the two runs
    cover different cases under the same description: the error says so instead of naming
    the same selection twice."""
    engine = open_database(load_settings())
    store_suite(engine, fs_suite())
    base = ["run", "--model", "simulator", "--suite", "fs-mini@1", "-c", "all", "--sample", "2"]
    ids = []
    with running_simulator(fs_suite().cases, SimulatorConfig(latency_s=0.0)) as sim:
        for mode in ("prompt", "fc"):
            done = run_farm(*base, "--endpoint", sim.base_url, "--mode", mode, "--json")
            assert done.returncode == 0, done.stderr
            ids.append(json.loads(done.stdout.splitlines()[-1])["run_id"])
    compared = run_farm("compare", *ids)
    assert compared.returncode != 0
    (line,) = compared.stderr.strip().splitlines()
    assert "both cover --sample 2 --seed 0 (2 cases), drawn from different cases" in line
    assert "format_sensitivity" in line
