"""BFCL result trees of our own making for every BFCL v4 category, for the CSV benches.

One model folder per registry model: single-turn outputs from bench/agreement_gen.py (via
bench/bfcl_agreement.py), multi-turn from bench/multiturn_variants.py, agentic from
bench/agentic_agreement.py, and, for prompt-mode models only (BFCL skips the category for FC
models), format-sensitivity outputs written in the return format each configuration asks for
(Python, JSON, verbose or concise XML, with or without ``<TOOLCALL>`` tags): right, right in
another format, tags where none were asked (or none where they were), a wrong function, a
wrong value, or plain text.
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from agentic_agreement import VARIANTS as AGENTIC_VARIANTS
from agentic_agreement import make_output as agentic_output
from agreement_gen import Calls, answer_calls
from multiturn_variants import VARIANTS as MT_VARIANTS
from multiturn_variants import make_output as multi_turn_output

from bench.bfcl_agreement import build_round
from farm.multiturn.envs import EnvironmentSources
from farm.multiturn.replay import ground_truth_turns
from farm.suites.build import SuiteData
from farm.suites.case import Case
from farm.suites.categories import AGENTIC, GROUP_DIR, MULTI_TURN, SINGLE_TURN
from farm.suites.sensitivity import parse_config

FS_VARIANTS = (
    "right", "right", "right", "right", "other_format", "tags_flipped", "wrong_function",
    "wrong_value", "text",
)  # fmt: skip
_XML_TYPES = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
              dict: "dict", tuple: "tuple"}  # fmt: skip


def _xml_value(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _xml_type(value: Any) -> str:
    return _XML_TYPES.get(type(value), "string")


def render_calls(calls: Calls, return_format: str, tag: bool) -> str:
    """``calls`` written in one of BFCL's return formats."""
    if return_format == "python":
        body = (
            "["
            + ", ".join(
                f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
                for name, args in calls
            )
            + "]"
        )
    elif return_format == "json":
        body = json.dumps([{"function": name, "parameters": args} for name, args in calls])
    elif return_format == "verbose_xml":
        body = (
            "<functions>"
            + "".join(
                f'<function name="{name}"><params>'
                + "".join(
                    f'<param name="{k}" value="{_xml_value(v)}" type="{_xml_type(v)}"/>'
                    for k, v in args.items()
                )
                + "</params></function>"
                for name, args in calls
            )
            + "</functions>"
        )
    else:
        body = (
            "<functions>"
            + "".join(
                f'<function name="{name}">'
                + "".join(
                    f'<param name="{k}" type="{_xml_type(v)}">{_xml_value(v)}</param>'
                    for k, v in args.items()
                )
                + "</function>"
                for name, args in calls
            )
            + "</functions>"
        )
    return f"<TOOLCALL>{body}</TOOLCALL>" if tag else body


def sensitivity_output(case: Case, variant: str) -> str:
    """One format-sensitivity output of ``variant`` for ``case`` (its configuration's format)."""
    config = parse_config(case.case_id.split(":")[1])
    ret, tag = config.return_format, config.tool_call_tag
    calls = answer_calls(case, 0)
    if variant == "right":
        return render_calls(calls, ret, tag)
    if variant == "other_format":
        other = "python" if ret != "python" else "json"
        return render_calls(calls, other, tag)
    if variant == "tags_flipped":
        return render_calls(calls, ret, not tag)
    if variant == "wrong_function":
        return render_calls([(f"{n}_other", a) for n, a in calls], ret, tag)
    if variant == "wrong_value":
        bent = [
            (n, {k: ("zz" if isinstance(v, str) else v) for k, v in a.items()}) for n, a in calls
        ]
        return render_calls(bent if bent != calls else [(n, {**a, "extra": 1}) for n, a in calls],
                            ret, tag)  # fmt: skip
    return "None of the functions can be used here."


def _write(root: Path, model: str, category: str, entries: list[dict[str, Any]]) -> None:
    folder = root / "result" / model / GROUP_DIR[category]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"BFCL_v4_{category}_result.json").write_text(
        "".join(json.dumps(e) + "\n" for e in entries)
    )


def _pick(seed: str, choices: Any) -> Any:
    return choices[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(choices)]


def write_model_tree(
    suite: SuiteData, root: Path, model: str, mode: str, dots: bool, rnd: int
) -> collections.Counter[str]:
    """Write ``result/<model>/`` with every category ``mode`` runs; count entries by category."""
    cases = suite.cases
    single = [c for c in cases if c.category in SINGLE_TURN]
    build_round(single, mode, dots, rnd, root, model)
    counts: collections.Counter[str] = collections.Counter(c.category for c in single)
    sources = EnvironmentSources.from_suite_extra(suite.extra)
    by_category: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for c in cases:
        seed = f"{c.case_id}:{model}:{rnd}"
        if c.category in MULTI_TURN:
            turns = ground_truth_turns(c.answer or [], sources, c.extra["involved_classes"])
            raw = multi_turn_output(_pick(seed, MT_VARIANTS), turns, mode=mode, seed=seed)
        elif c.category in AGENTIC:
            raw = agentic_output(_pick(seed, AGENTIC_VARIANTS), list(c.answer or [""]), mode, seed)
        elif c.category == "format_sensitivity" and mode == "prompt":
            raw = sensitivity_output(c, _pick(seed, FS_VARIANTS))
        else:
            continue
        by_category[c.category].append({"id": c.case_id, "result": raw})
    for category, entries in by_category.items():
        _write(root, model, category, entries)
        counts[category] += len(entries)
    add_latencies(root, model, rnd)
    return counts


def add_latencies(root: Path, model: str, seed: int) -> None:
    """Give every result entry a latency and token counts, as `bfcl generate` does."""
    rng = random.Random(seed)
    for path in sorted((root / "result" / model).rglob("*_result.json")):
        lines = []
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            entry["latency"] = round(rng.uniform(0.1, 6.0), 3)
            entry["input_token_count"] = rng.randint(100, 2000)
            entry["output_token_count"] = rng.randint(5, 200)
            lines.append(json.dumps(entry))
        path.write_text("\n".join(lines) + "\n")
