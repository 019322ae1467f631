"""Model outputs of our own for multi-turn cases, built from the ground truth with defects.

Each variant takes the ground truth as keyword calls per turn and returns BFCL's multi-turn
``result`` shape (turns of raw steps) for FC mode (steps are lists of
``{name: arguments_json}`` or text) or prompt mode (steps are text). The hostile calls are
harmless when BFCL's evaluator ``eval``s them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from farm.multiturn.replay import KeywordCall

Turns = list[list[KeywordCall]]

HOSTILE_PROMPT = [
    "__import__(name='os')",
    "exit(code=0)",
    "GorillaFileSystem.ls(a=True)",
    "_load_scenario(scenario={})",
    "getattr(o='x', name='upper')",
    "globals()",
]
HOSTILE_FC: list[dict[str, Any]] = [
    {"__import__": json.dumps({"name": "os"})},
    {"exit": "{}"},
    {"GorillaFileSystem.ls": json.dumps({"a": True})},
    {"_load_scenario": json.dumps({"scenario": {}})},
    {"eval": json.dumps({"source": "1+1"})},
    {"__class__": "{}"},
]


def _step(calls: list[KeywordCall], mode: str) -> Any:
    if mode == "fc":
        return [{c.name: c.as_json_arguments()} for c in calls]
    return "[" + ", ".join(c.as_prompt_text() for c in calls) + "]"


def _replay(turns: Turns, mode: str, *, split: bool = False) -> list[list[Any]]:
    out: list[list[Any]] = []
    for turn in turns:
        if not turn:
            out.append(["I need more information to do that."])
            continue
        steps = [_step([c], mode) for c in turn] if split else [_step(turn, mode)]
        out.append([*steps, "Done."])
    return out


def _non_empty(turns: Turns) -> list[int]:
    return [i for i, t in enumerate(turns) if t]


def v_exact(turns: Turns, mode: str, rng: random.Random) -> Any:
    return _replay(turns, mode)


def v_split(turns: Turns, mode: str, rng: random.Random) -> Any:
    return _replay(turns, mode, split=True)


def v_perturb(turns: Turns, mode: str, rng: random.Random) -> Any:
    turns = [list(t) for t in turns]
    spots = [(i, j) for i in _non_empty(turns) for j in range(len(turns[i]))]
    i, j = rng.choice(spots)
    call = turns[i][j]
    args = dict(call.arguments)
    keys = [
        k for k, v in args.items() if isinstance(v, str | int | float) and not isinstance(v, bool)
    ]
    if keys:
        k = rng.choice(keys)
        args[k] = args[k] + "_x" if isinstance(args[k], str) else args[k] + 7
        turns[i][j] = KeywordCall(call.name, args)
    else:
        turns[i][j] = KeywordCall(call.name + "_v2", args)
    return _replay(turns, mode)


def v_drop_call(turns: Turns, mode: str, rng: random.Random) -> Any:
    turns = [list(t) for t in turns]
    i = rng.choice(_non_empty(turns))
    del turns[i][rng.randrange(len(turns[i]))]
    out = _replay(turns, mode)
    if not turns[i]:
        out[i] = ["Sure, done."]
    return out


def v_missing_turn(turns: Turns, mode: str, rng: random.Random) -> Any:
    return _replay(turns, mode)[:-1]


def v_inference_error(turns: Turns, mode: str, rng: random.Random) -> Any:
    return "Error during inference: Request timed out."


def v_hostile(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    i = rng.choice(_non_empty(turns))
    if mode == "fc":
        out[i].insert(0, list(HOSTILE_FC))
    else:
        out[i].insert(0, "[" + ", ".join(HOSTILE_PROMPT) + "]")
    return out


def v_duplicate(turns: Turns, mode: str, rng: random.Random) -> Any:
    turns = [list(t) for t in turns]
    i = rng.choice(_non_empty(turns))
    j = rng.randrange(len(turns[i]))
    turns[i].insert(j, turns[i][j])
    return _replay(turns, mode)


def v_garbage_steps(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    for i in _non_empty(turns):
        if mode == "fc":
            bad = [{turns[i][0].name: "{not json"}]
            out[i][:0] = [bad, "Let me think about that.", []]
        else:
            fenced = "```python\n" + _step(turns[i], mode) + "\n```"
            out[i][:0] = [fenced, "Let me think about that.", "[]"]
    return out


def v_early(turns: Turns, mode: str, rng: random.Random) -> Any:
    idx = _non_empty(turns)
    out = _replay(turns, mode)
    if len(idx) >= 2:
        a, b = idx[0], idx[1]
        out[a].insert(-1, _step(turns[b], mode))
    return out


def v_empty_turn(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    out[rng.choice(_non_empty(turns))] = ["I would rather not."]
    return out


def v_odd_values(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    for i in _non_empty(turns):
        calls = turns[i]
        if mode == "fc":
            odd = []
            for c in calls:
                args = {k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                        for k, v in c.arguments.items()}  # fmt: skip
                odd.append({c.name: json.dumps(args)})
            odd.append({calls[0].name: '{"x": NaN}'})
            out[i] = [odd, "Done."]
        else:
            texts = []
            for c in calls:
                parts = []
                for k, v in c.arguments.items():
                    if isinstance(v, int) and not isinstance(v, bool):
                        parts.append(f"{k}={v - 1}+1")
                    elif isinstance(v, float):
                        parts.append(f"{k}={v}*1")
                    else:
                        parts.append(f"{k}={v!r}")
                texts.append(f"{c.name}({', '.join(parts)})")
            texts.append(f"{calls[0].name}(x={{'a': {{'b': 1}}}}, y=nan)")
            texts.append(f"{calls[0].name}('positional')")
            out[i] = ["[" + ", ".join(texts) + "]", "Done."]
    return out


def v_calls_in_empty_turns(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    for i, turn in enumerate(turns):
        if not turn:
            later = next((t for t in turns[i + 1 :] if t), None)
            if later:
                out[i] = [_step(later, mode), "Done."]
    return out


def v_reversed(turns: Turns, mode: str, rng: random.Random) -> Any:
    return _replay([list(reversed(t)) for t in turns], mode)


def v_fenced(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    if mode == "prompt":
        for i in _non_empty(turns):
            out[i][0] = "```\n" + out[i][0] + "\n```"
    return out


def v_class_prefixed(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    i = rng.choice(_non_empty(turns))
    prefixed = [KeywordCall("Env." + c.name, c.arguments) for c in turns[i]]
    out[i].insert(0, _step(prefixed, mode))
    out[i].pop(1)
    return out


def v_stray_text(turns: Turns, mode: str, rng: random.Random) -> Any:
    out = _replay(turns, mode)
    i = rng.choice(_non_empty(turns))
    if mode == "prompt":
        out[i][0] = "Sure, here you go: " + out[i][0]
    else:
        out[i].insert(0, "Sure, here you go.")
    return out


GENERATORS: dict[str, Callable[[Turns, str, random.Random], Any]] = {
    "exact": v_exact,
    "split": v_split,
    "perturb": v_perturb,
    "drop_call": v_drop_call,
    "missing_turn": v_missing_turn,
    "inference_error": v_inference_error,
    "hostile": v_hostile,
    "duplicate": v_duplicate,
    "garbage_steps": v_garbage_steps,
    "early": v_early,
    "empty_turn": v_empty_turn,
    "odd_values": v_odd_values,
    "calls_in_empty": v_calls_in_empty_turns,
    "reversed": v_reversed,
    "fenced": v_fenced,
    "class_prefixed": v_class_prefixed,
    "stray_text": v_stray_text,
}
VARIANTS = list(GENERATORS)


def make_output(variant: str, turns: Turns, *, mode: str, seed: str) -> Any:
    """BFCL's ``result`` for one case under ``variant``."""
    return GENERATORS[variant](turns, mode, random.Random(seed))
