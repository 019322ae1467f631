"""The multi-turn conversation loop, as BFCL's ``inference_multi_turn_FC`` / ``_prompting``.

For each turn: the turn's user messages are appended (a miss_func holdout turn is replaced by
one user message revealing the held-out functions), then steps repeat: query the model, keep
its raw response, decode it (:func:`farm.multiturn.decode.decode_execute`); a response that
fails to decode or holds no call ends the turn; otherwise the calls run against the case's
private environment (:mod:`farm.multiturn.dispatch`) and the results are fed back:

- FC: the assistant message with its ``tool_calls``, then one ``{"role": "tool", "content",
  "tool_call_id"}`` message per call;
- prompt: the assistant text, then ONE user message whose content is ``repr`` of the list of
  ``{"role": "tool", "name": <call string>, "content": <result>}`` (BFCL's OpenAI prompting
  handler).

After more than :data:`MAXIMUM_STEP_LIMIT` executed steps in a turn the case is force-quit:
no further turns run, so the output has fewer turns than the ground truth (the checker's
``multi_turn:force_terminated``), unless it happened in the last turn. An endpoint failure
ends the case as a failed inference (BFCL's ``"Error during inference: ..."``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farm.endpoints.pool import EndpointPool, RequestRejected, RetriesExhausted
from farm.endpoints.types import Completion
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient, SuiteError
from farm.inference import (
    BAD_REQUEST,
    PERMANENT,
    TRANSIENT,
    InferenceOutcome,
    build_request,
    failed,
    model_docs,
    raw_output,
)
from farm.models.registry import ModelSpec
from farm.multiturn.checker import is_long_context, open_case_environment
from farm.multiturn.decode import DecodeError, decode_execute, is_empty_response
from farm.multiturn.dispatch import execute_calls
from farm.multiturn.envs import Environment, EnvironmentSources, ModuleSet
from farm.prompts.system import with_system_prompt
from farm.suites.case import Case

#: BFCL's ``MAXIMUM_STEP_LIMIT``: a turn is force-quit after more executed steps than this.
MAXIMUM_STEP_LIMIT = 20
#: BFCL's ``DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC``.
ADDITIONAL_FUNCTION_PROMPT = (
    "I have updated some more functions you can choose from. What about now?"
)
#: ``error_type`` of a case whose environment cannot be built (a suite problem).
ENVIRONMENT_ERROR = "environment"


def holdout_message(docs: list[dict[str, Any]], *, mode: str) -> dict[str, Any]:
    """The user message of a miss_func reveal turn, as BFCL writes it."""
    if mode == "fc":
        return {"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}
    return {"role": "user", "content": f"{docs}\n{ADDITIONAL_FUNCTION_PROMPT}"}


def tool_results_message(calls: list[str], results: list[str]) -> dict[str, Any]:
    """Prompt mode: all results of one step in one user message (``repr`` of tool dicts)."""
    tool_results = [
        {"role": "tool", "name": call, "content": result}
        for call, result in zip(calls, results, strict=False)
    ]
    return {"role": "user", "content": repr(tool_results)}


def assistant_message(completion: Completion, mode: str) -> dict[str, Any]:
    """The assistant message that goes back into the history."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.content}
    if mode == "fc" and completion.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in completion.tool_calls
        ]
    elif message["content"] is None:
        message["content"] = ""
    return message


@dataclass
class _Tally:
    """Per-step counters, BFCL's ``list[list]`` per turn and step, plus totals."""

    input_tokens: list[list[int]] = field(default_factory=list)
    output_tokens: list[list[int]] = field(default_factory=list)
    latency: list[list[float]] = field(default_factory=list)
    attempts: int = 0
    endpoint: str | None = None

    def add(self, completion: Completion) -> None:
        self.input_tokens[-1].append(completion.input_tokens)
        self.output_tokens[-1].append(completion.output_tokens)
        self.latency[-1].append(completion.latency_s)
        self.attempts += completion.attempts
        self.endpoint = completion.endpoint

    def new_turn(self) -> None:
        self.input_tokens.append([])
        self.output_tokens.append([])
        self.latency.append([])

    def total_latency(self) -> float:
        return sum(sum(turn) for turn in self.latency)


async def run_conversation(
    case: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    suite_extra: Mapping[str, Any] | None,
) -> InferenceOutcome:
    """Run one multi-turn case against the model and return BFCL's multi-turn result shape.

    Never raises for endpoint failures: they become a failed outcome. The environment is
    private to this call (fresh modules and instances from the case's ``initial_config``).
    """
    mode = spec.mode
    if spec.tool_choice != "auto":
        # A turn ends when the model answers without a call: forcing calls would run every
        # turn into the step limit. BFCL sends no tool_choice at all.
        spec = spec.model_copy(update={"tool_choice": "auto"})
    try:
        env = open_case_environment(
            case, ModuleSet(EnvironmentSources.from_suite_extra(suite_extra))
        )
    except SuiteError as exc:
        return failed(ENVIRONMENT_ERROR, exc.message)
    holdout: Mapping[str, Any] = case.extra.get("missed_function") or {}
    docs = model_docs(case)
    tally = _Tally()
    turns_out: list[list[Any]] = []
    history: list[dict[str, Any]] = []
    force_quit = False
    for turn_index, turn_messages in enumerate(case.turns):
        messages = copy.deepcopy(turn_messages)
        revealed = holdout.get(str(turn_index))
        if revealed is not None:
            revealed_docs = copy.deepcopy(list(revealed))
            docs = docs + revealed_docs
            messages = [holdout_message(revealed_docs, mode=mode)]
        if turn_index == 0 and mode == "prompt":
            messages = with_system_prompt(messages, model_docs(case), case.case_id)
        history.extend(messages)
        tally.new_turn()
        steps: list[Any] = []
        executed = 0
        while True:
            try:
                request = build_request(case, spec, messages=history, functions=docs)
                completion = await pool.complete(request)
            except ConfigError as exc:
                return failed(BAD_REQUEST, exc.message, attempts=tally.attempts)
            except (RetriesExhausted, RequestRejected) as exc:
                kind = TRANSIENT if isinstance(exc, EndpointTransient) else PERMANENT
                return failed(
                    kind,
                    exc.message,
                    attempts=tally.attempts + exc.attempts,
                    endpoint=exc.endpoint,
                    latency_s=tally.total_latency(),
                )
            except EndpointTransient as exc:
                return failed(TRANSIENT, exc.message, attempts=tally.attempts)
            except EndpointPermanent as exc:
                return failed(PERMANENT, exc.message, attempts=tally.attempts)
            tally.add(completion)
            step = raw_output(completion, mode)
            steps.append(step)
            history.append(assistant_message(completion, mode))
            try:
                calls = decode_execute(step, mode=mode)
            except DecodeError:
                break
            if is_empty_response(calls):
                break
            _feed_back(history, env, calls, completion, mode)
            executed += 1
            if executed > MAXIMUM_STEP_LIMIT:
                force_quit = True
                break
        turns_out.append(steps)
        if force_quit:
            break
    return InferenceOutcome(
        raw_output=turns_out,
        latency_s=tally.total_latency(),
        input_tokens=sum(sum(t) for t in tally.input_tokens),
        output_tokens=sum(sum(t) for t in tally.output_tokens),
        attempts=tally.attempts,
        endpoint=tally.endpoint,
        log={
            "input_token_count": tally.input_tokens,
            "output_token_count": tally.output_tokens,
            "latency": tally.latency,
            "force_quit": force_quit,
            "long_context": is_long_context(case),
        },
    )


def _feed_back(
    history: list[dict[str, Any]],
    env: Environment,
    calls: list[str],
    completion: Completion,
    mode: str,
) -> None:
    """Execute one step's calls and append their results to the history."""
    results = execute_calls(env, calls)
    if mode == "fc":
        ids = [call.id for call in completion.tool_calls]
        for result, call_id in zip(results, ids, strict=False):
            history.append({"role": "tool", "content": result, "tool_call_id": call_id})
    else:
        history.append(tool_results_message(calls, results))
