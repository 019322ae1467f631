"""Format-sensitivity agreement: the farm's decoder and checker against ``bfcl evaluate``.

For every one of BFCL's format-sensitivity cases (200 ids x 26 prompt configurations in
2026.3.23) and each of ten prompt-mode registry models, one output of our own making is
written; the variant rotates over the models, so every case meets ten of :data:`VARIANTS`
and every configuration meets each variant about 130 times: the right calls in the
configuration's return format and tag; the same in another return format; a wrong value;
the tag missing (or one added where none is asked); malformed JSON/XML/Python; empty
output; prose around the calls; parallel calls in another order; fenced in backticks;
BFCL's keys or attributes missing; a value that does not convert to its declared type; XML
parameters without a ``<params>`` container and with padded text; an untyped XML parameter;
a JSON object instead of a list; the simulator's answer (right or deliberately wrong, in the
format the configuration asks for). Each entry is scored by
:func:`farm.scoring.score_case` (mode ``prompt``) and by ``bfcl evaluate`` (bfcl-eval in a
throwaway venv, see bench/bfcl_env.py); verdicts (valid, error type) are compared entry by
entry. The system prompt of every case (BFCL's ``system_prompt_pre_processing_chat_model``
on its own loaded entry) is compared byte for byte with the farm's.

Usage: ``python bench/format_sensitivity_agreement.py [--wheel PATH] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bfcl_env import ensure_bfcl_venv  # noqa: E402

from farm.answers.ground_truth import answer_single_turn  # noqa: E402
from farm.answers.prompt_calls import prompt_call_text  # noqa: E402
from farm.formats import get_format  # noqa: E402
from farm.inference import model_docs  # noqa: E402
from farm.scoring import score_case  # noqa: E402
from farm.suites.case import Case  # noqa: E402
from farm.suites.sensitivity import parse_config, split_case_id  # noqa: E402
from farm.suites.wheel import read_wheel  # noqa: E402

DEFAULT_WHEEL = Path("/tmp/bfclwheel/bfcl_eval-2026.3.23-py3-none-any.whl")
#: BFCL prompt-mode models whose ``decode_ast`` is ``default_decode_ast_prompting``.
MODELS = (
    "gpt-4o-2024-11-20",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
    "gpt-5-mini-2025-08-07",
    "gpt-5-nano-2025-08-07",
    "gpt-5.2-2025-12-11",
    "o3-2025-04-16",
    "o4-mini-2025-04-16",
)
VARIANTS = (
    "right",
    "other_format",
    "wrong_value",
    "tag_flipped",
    "malformed",
    "empty",
    "extra_text",
    "reordered",
    "fenced",
    "missing_key",
    "bad_type",
    "loose_xml",
    "untyped",
    "bare_object",
    "simulator",
)
Pair = tuple[str, dict[str, Any]]
OTHER = {"python": "json", "json": "python", "verbose_xml": "concise_xml", "concise_xml": "json"}


def right_calls(case: Case) -> list[Pair]:
    """The first non-empty alternative of every ground-truth parameter."""
    calls: list[Pair] = []
    for call in case.answer or []:
        for name, params in call.items():
            args = {}
            for key, alts in params.items():
                value = next((a for a in alts if a != ""), None)
                if value is not None:
                    args[key] = value
            calls.append((name, args))
    return calls


def _xml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "dict"
    if value is None:
        return "null"
    return "string"


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return repr(value)


def render(calls: list[Pair], fmt: str, *, typed: bool = True, container: bool = True) -> str:
    """Calls in one of BFCL's return formats (no tag)."""
    if fmt == "python":
        inner = ", ".join(f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls)
        return f"[{inner}]"
    if fmt == "json":
        return json.dumps([{"function": n, "parameters": a} for n, a in calls])
    out = ["<functions>"]
    for name, args in calls:
        out.append(f"<function name={quoteattr(name)}>")
        out.append("<params>" if fmt == "verbose_xml" and container else "")
        for key, value in args.items():
            kind = f" type={quoteattr(_xml_type(value))}" if typed else ""
            if fmt == "verbose_xml":
                out.append(
                    f"<param name={quoteattr(key)} value={quoteattr(_xml_text(value))}{kind}/>"
                )
            else:
                pad = "" if container else "\n  "
                text = escape(_xml_text(value))
                out.append(f"<param name={quoteattr(key)}{kind}>{pad}{text}{pad}</param>")
        out.append("</params>" if fmt == "verbose_xml" and container else "")
        out.append("</function>")
    out.append("</functions>")
    return "".join(out)


def _spoil(calls: list[Pair]) -> list[Pair]:
    if not calls:
        return [("no_such_function", {"x": 1})]
    name, args = calls[0]
    if not args:
        return [(name, {"unexpected": "value"}), *calls[1:]]
    key = next(iter(args))
    value = args[key]
    wrong: Any = (
        value + 7
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else "zzq wrong"
    )
    return [(name, {**args, key: wrong}), *calls[1:]]


def _tag(text: str, tagged: bool) -> str:
    return f"<TOOLCALL>{text}</TOOLCALL>" if tagged else text


def make_output(variant: str, case: Case) -> str:
    """One model output of ``variant`` for ``case`` in its configuration."""
    _, config, _ = split_case_id(case.case_id)
    cfg = parse_config(config)
    fmt, tagged = cfg.return_format, cfg.tool_call_tag
    calls = right_calls(case)
    if variant == "right":
        return _tag(render(calls, fmt), tagged)
    if variant == "other_format":
        return _tag(render(calls, OTHER[fmt]), tagged)
    if variant == "wrong_value":
        return _tag(render(_spoil(calls), fmt), tagged)
    if variant == "tag_flipped":
        return _tag(render(calls, fmt), not tagged)
    if variant == "malformed":
        text = render(calls, fmt)
        cut = {"json": text[:-2] + "]", "python": text.replace("(", "((", 1)}.get(fmt)
        return _tag(cut if cut is not None else text.replace("</function>", "", 1), tagged)
    if variant == "empty":
        return ""
    if variant == "extra_text":
        return "Sure, here are the calls:\n" + _tag(render(calls, fmt), tagged) + "\nDone!"
    if variant == "reordered":
        return _tag(render(list(reversed(calls)), fmt), tagged)
    if variant == "fenced":
        lang = {"python": "python", "json": "json"}.get(fmt, "xml")
        return f"```{lang}\n" + _tag(render(calls, fmt), tagged) + "\n```"
    if variant == "missing_key":
        text = render(calls, fmt)
        if fmt == "json":
            text = text.replace('"parameters"', '"arguments"')
        elif fmt == "python":
            text = text.replace("(", " (", 1)
        else:
            text = text.replace("<function name=", "<function id=", 1)
        return _tag(text, tagged)
    if variant == "bad_type":
        if fmt in ("verbose_xml", "concise_xml"):
            text = render(calls, fmt).replace('type="string"', 'type="integer"')
            return _tag(text.replace('type="array"', 'type="integer"'), tagged)
        if fmt == "json":
            bad = [{"function": n, "parameters": list(a.items())} for n, a in calls]
            return _tag(json.dumps(bad), tagged)
        return _tag(render(calls, fmt).replace("=", "==", 1), tagged)
    if variant == "loose_xml":
        if fmt in ("verbose_xml", "concise_xml"):
            return _tag(render(calls, fmt, container=False), tagged)
        return _tag(" \n" + render(calls, fmt) + "\n\n", tagged)
    if variant == "untyped":
        if fmt in ("verbose_xml", "concise_xml"):
            return _tag(render(calls, fmt, typed=False), tagged)
        return _tag(render(calls, fmt).replace("'", '"'), tagged)
    if variant == "bare_object":
        if fmt == "json" and calls:
            name, args = calls[0]
            return _tag(json.dumps({"function": name, "parameters": args}), tagged)
        return _tag(render(calls[:1], fmt).strip("[]"), tagged)
    if variant == "simulator":
        reply = answer_single_turn(
            case,
            fc=False,
            wrong=case.position % 3 == 0,
            render=lambda pairs: prompt_call_text(pairs, fmt, tagged),
        )
        return reply.content or ""
    raise ValueError(variant)


_PROMPTS = """
import json, sys
from bfcl_eval.utils import load_dataset_entry
from bfcl_eval.model_handler.utils import system_prompt_pre_processing_chat_model
out = {}
for entry in load_dataset_entry("format_sensitivity"):
    msgs = system_prompt_pre_processing_chat_model(
        [dict(m) for m in entry["question"][0]], entry["function"], entry["id"])
    out[entry["id"]] = msgs[0]["content"]
json.dump(out, sys.stdout)
"""


def compare_prompts(python: Path, cases: list[Case], env: dict[str, str]) -> tuple[int, int]:
    """BFCL's system prompt of every case against the farm's: (compared, equal)."""
    proc = subprocess.run([str(python), "-c", _PROMPTS], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"BFCL prompt rendering failed: {proc.stderr[-2000:]}")
    theirs = json.loads(proc.stdout)
    prompt = get_format("prompt")
    equal = 0
    for case in cases:
        mine = prompt.opening(list(case.turns[0]), model_docs(case), case.case_id)[0]["content"]
        equal += mine == theirs.get(case.case_id)
    return len(cases), equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", type=Path, default=DEFAULT_WHEEL)
    parser.add_argument("--keep", type=Path, default=None, help="keep result/score files here")
    args = parser.parse_args()

    bfcl = ensure_bfcl_venv()
    cases = [c for c in read_wheel(args.wheel).cases if c.category == "format_sensitivity"]
    root = args.keep or Path(tempfile.mkdtemp(prefix="farm-fs-agree-"))
    result_dir, score_dir = root / "result", root / "score"
    outputs: dict[tuple[str, str], tuple[str, str]] = {}
    for m_index, model in enumerate(MODELS):
        lines = []
        for case in cases:
            variant = VARIANTS[(case.position // 26 + case.position + m_index) % len(VARIANTS)]
            raw = make_output(variant, case)
            outputs[(model, case.case_id)] = (variant, raw)
            lines.append(json.dumps({"id": case.case_id, "result": raw}))
        path = result_dir / model / "format_sensitivity"
        path.mkdir(parents=True, exist_ok=True)
        (path / "BFCL_v4_format_sensitivity_result.json").write_text("\n".join(lines) + "\n")

    by_id = {c.case_id: c for c in cases}
    started = time.perf_counter()
    farm_verdicts = {}
    for (model, cid), (_variant, raw) in outputs.items():
        v = score_case(by_id[cid], raw, mode="prompt", underscore_to_dot=False)
        farm_verdicts[(model, cid)] = (v.valid, v.error_type)
    farm_seconds = time.perf_counter() - started

    env = dict(os.environ, BFCL_PROJECT_ROOT=str(root), OPENAI_API_KEY="sk-dummy-offline")
    started = time.perf_counter()
    proc = subprocess.run(
        [str(bfcl), "evaluate", "--model", ",".join(MODELS), "--test-category",
         "format_sensitivity", "--result-dir", str(result_dir), "--score-dir", str(score_dir)],
        env=env, capture_output=True, text=True, cwd=root,
    )  # fmt: skip
    bfcl_seconds = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"bfcl evaluate failed with exit code {proc.returncode}")
    bfcl_verdicts: dict[tuple[str, str], tuple[bool, str | None]] = {
        key: (True, None) for key in outputs
    }
    for model in MODELS:
        score = score_dir / model / "format_sensitivity" / "BFCL_v4_format_sensitivity_score.json"
        for line in score.read_text().splitlines()[1:]:
            entry = json.loads(line)
            bfcl_verdicts[(model, entry["id"])] = (False, entry["error_type"])

    agree = 0
    per_variant: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    per_format: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    disagreements = []
    for key, (variant, _raw) in outputs.items():
        same = farm_verdicts[key] == bfcl_verdicts[key]
        agree += same
        per_variant[variant][0] += same
        per_variant[variant][1] += 1
        cfg = parse_config(key[1].split(":")[1])
        fmt = f"{cfg.return_format}{'+tag' if cfg.tool_call_tag else ''}"
        per_format[fmt][0] += same
        per_format[fmt][1] += 1
        if not same:
            disagreements.append((key, variant, farm_verdicts[key], bfcl_verdicts[key]))
    valid = sum(v[0] for v in bfcl_verdicts.values())
    print(f"format-sensitivity entries compared: {len(outputs)} ({len(cases)} cases x "
          f"{len(MODELS)} outputs)   agree: {agree}   disagree: {len(disagreements)}")  # fmt: skip
    print(f"bfcl says valid: {valid}, invalid: {len(outputs) - valid}")
    kinds = collections.Counter(v[1] for v in bfcl_verdicts.values() if not v[0])
    for kind, n in sorted(kinds.items()):
        print(f"  {kind}: {n}")
    print("per variant (agree/total):")
    for variant in VARIANTS:
        a, n = per_variant[variant]
        print(f"  {variant:<14} {a}/{n}")
    print("per return format (agree/total):")
    for fmt, (a, n) in sorted(per_format.items()):
        print(f"  {fmt:<16} {a}/{n}")
    for key, variant, farm_v, bfcl_v in disagreements[:20]:
        print(f"DISAGREE {key} [{variant}] farm={farm_v} bfcl={bfcl_v}")
        print(f"   output: {outputs[key][1][:300]!r}")
    compared, equal = compare_prompts(bfcl.parent / "python", cases, env)
    print(f"system prompts compared: {compared}   byte-equal: {equal}")
    print(f"scoring time: farm {farm_seconds:.2f} s, bfcl evaluate (with start-up) "
          f"{bfcl_seconds:.1f} s")  # fmt: skip
    print(f"files under {root}")


if __name__ == "__main__":
    main()
