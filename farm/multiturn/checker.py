"""BFCL's multi-turn checker: state after each turn, and coverage of the ground truth's results.

For one entry (``eval_runner._evaluate_single_multi_turn_entry`` + ``multi_turn_checker``):

1. a result that is not a list is ``multi_turn:inference_error``; a turn count different
   from the ground truth's is ``multi_turn:force_terminated``;
2. every step is decoded (:func:`farm.formats.execute.decode_execute`); steps that fail to
   decode or decode to no call are dropped;
3. turn by turn: the model's steps run on the model's instances, the ground truth's calls on
   separate ground-truth instances (both fresh from the case's ``initial_config``); a turn
   whose ground truth is non-empty but where the model ran nothing is
   ``multi_turn:empty_turn_model_response``; turns with an empty ground truth are not checked
   (their calls still change the state); otherwise every public attribute of every instance
   must be equal (``multi_turn:instance_state_mismatch``) and the ground truth's results of the
   turn must be a sub-multiset of all the model's results so far
   (``multi_turn:execution_response_mismatch``).

The entry is valid only if every turn passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from farm.formats.execute import DecodeError, decode_execute, is_empty_response
from farm.multiturn.dispatch import execute_calls
from farm.multiturn.envs import (
    Environment,
    EnvironmentSources,
    ModuleSet,
    build_environment,
)
from farm.scoring.verdict import Verdict, json_safe
from farm.suites.case import Case

INFERENCE_ERROR = "multi_turn:inference_error"
FORCE_TERMINATED = "multi_turn:force_terminated"
EMPTY_TURN = "multi_turn:empty_turn_model_response"
STATE_MISMATCH = "multi_turn:instance_state_mismatch"
RESPONSE_MISMATCH = "multi_turn:execution_response_mismatch"


def is_long_context(case: Case) -> bool:
    """Whether the case's environments load BFCL's long-context state."""
    flag = case.extra.get("long_context")
    if isinstance(flag, bool) and flag:
        return True
    category = case.case_id.rsplit("_", 1)[0]
    return "long_context" in category or "composite" in category


def open_case_environment(case: Case, modules: ModuleSet) -> Environment:
    """Fresh environment instances for ``case`` (one side: model or ground truth)."""
    return build_environment(
        modules,
        case.extra.get("involved_classes") or [],
        case.extra.get("initial_config") or {},
        long_context=is_long_context(case),
    )


def decode_turns(raw_output: list[Any], *, mode: str) -> list[list[list[str]]]:
    """Decode every step of every turn, dropping undecodable and empty steps (as BFCL)."""
    decoded: list[list[list[str]]] = []
    for turn in raw_output:
        steps: list[list[str]] = []
        for step in turn if isinstance(turn, list) else []:
            try:
                calls = decode_execute(step, mode=mode)
            except DecodeError:
                continue
            if not is_empty_response(calls):
                steps.append(calls)
        decoded.append(steps)
    return decoded


def score_multi_turn(
    case: Case,
    raw_output: Any,
    *,
    mode: str,
    underscore_to_dot: bool,
    suite_extra: Mapping[str, Any] | None,
) -> Verdict:
    """Score one multi-turn case as ``bfcl evaluate`` does.

    Args:
        case: the multi-turn case (``answer`` is the ground truth: turns of call strings).
        raw_output: BFCL's ``result`` field: a list of turns, each a list of raw steps.
        mode: ``"fc"`` or ``"prompt"``: how each step is decoded.
        underscore_to_dot: accepted for the common scoring signature; BFCL's multi-turn
            decoding does not rewrite names.
        suite_extra: the suite row's ``extra`` (holds the environment sources).

    Returns:
        The verdict; ``decoded`` holds the decoded call strings per turn and step.

    Raises:
        SuiteError: the suite carries no environment sources, or the case's environment
            cannot be built (a suite problem, never a model one).
    """
    del underscore_to_dot
    ground_truth: list[list[str]] = list(case.answer or [])
    if not isinstance(raw_output, list):
        return _fail(
            INFERENCE_ERROR,
            "Error during inference phase. Model did not output a list of model responses.",
            raw_output=json_safe(raw_output),
        )
    if len(raw_output) != len(ground_truth):
        return _fail(
            FORCE_TERMINATED,
            "Model was force-terminated during inference phase. The length of the model "
            f"result turns ({len(raw_output)}) does not match the length of the ground truth "
            f"turns ({len(ground_truth)}).",
        )
    decoded = decode_turns(raw_output, mode=mode)
    modules = ModuleSet(EnvironmentSources.from_suite_extra(suite_extra))
    model_env = open_case_environment(case, modules)
    truth_env = open_case_environment(case, modules)
    return _check(decoded, ground_truth, model_env, truth_env)


def _check(
    decoded: list[list[list[str]]],
    ground_truth: list[list[str]],
    model_env: Environment,
    truth_env: Environment,
) -> Verdict:
    all_model_results: list[str] = []
    log: list[dict[str, Any]] = []
    for turn_index, truth_calls in enumerate(ground_truth):
        steps = decoded[turn_index]
        step_results = [execute_calls(model_env, step) for step in steps]
        truth_results = execute_calls(truth_env, truth_calls)
        for results in step_results:
            all_model_results.extend(results)
        log.append(
            {
                "model": [[_clip(r) for r in rs] for rs in step_results],
                "ground_truth": [_clip(r) for r in truth_results],
            }
        )
        if not truth_calls:
            continue
        if not steps:
            return _fail(
                EMPTY_TURN,
                f"Model response list is empty for turn {turn_index}",
                decoded=decoded,
                execution_result=log,
            )
        differences = _state_differences(model_env, truth_env)
        if differences is not None:
            class_name, diff = differences
            return _fail(
                STATE_MISMATCH,
                f"Model instance for {class_name} does not match the state with ground truth "
                "instance.",
                decoded=decoded,
                differences=diff,
                execution_result=log,
            )
        missing = _missing_items(truth_results, all_model_results)
        if missing:
            return _fail(
                RESPONSE_MISMATCH,
                "Model response execution results so far does not contain all the ground "
                f"truth response execution results for turn {turn_index}.",
                decoded=decoded,
                missing_items=[_clip(m) for m in missing],
                execution_result=log,
            )
    return Verdict(valid=True, error_type=None, detail=None, decoded=json_safe(decoded))


def _state_differences(
    model_env: Environment, truth_env: Environment
) -> tuple[str, dict[str, Any]] | None:
    """The first class whose public attributes differ, with the differing attributes."""
    for class_name, truth_instance in truth_env.instances.items():
        model_instance = model_env.instances[class_name]
        diff: dict[str, Any] = {}
        for attr, truth_value in vars(truth_instance).items():
            if attr.startswith("_"):
                continue
            model_value = getattr(model_instance, attr, None)
            if model_value != truth_value:
                diff[attr] = {"model": _show(model_value), "ground_truth": _show(truth_value)}
        if diff:
            return class_name, diff
    return None


def _show(value: Any) -> Any:
    """A JSON-safe, bounded view of a state value for the verdict's detail."""
    safe = json_safe(value) if isinstance(value, str | int | float | bool | list | dict) else None
    if safe is None and value is not None:
        safe = repr(value)
    text = repr(safe)
    return safe if len(text) <= 2000 else text[:2000] + "..."


def _clip(text: str, limit: int = 1000) -> str:
    """A result string cut to ``limit`` characters for the verdict's detail."""
    return text if len(text) <= limit else text[:limit] + "..."


def _missing_items(truth_results: list[str], model_results: list[str]) -> list[str]:
    """BFCL's ``_is_subsequence_unordered``: ground-truth items not covered (multiset)."""
    remaining = list(model_results)
    missing: list[str] = []
    for item in truth_results:
        try:
            remaining.remove(item)
        except ValueError:
            missing.append(item)
    return missing


def _fail(error_type: str, message: str, *, decoded: Any = None, **detail: Any) -> Verdict:
    body: dict[str, Any] = {"error_message": message}
    body.update({k: json_safe(v) for k, v in detail.items()})
    safe = None if decoded is None else json_safe(decoded)
    return Verdict(valid=False, error_type=error_type, detail=body, decoded=safe)
