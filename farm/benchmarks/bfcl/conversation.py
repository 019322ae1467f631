"""The multi-turn conversation loop, as BFCL's ``inference_multi_turn_FC`` / ``_prompting``.

For each turn: the turn's user messages are appended (a miss_func holdout turn is replaced by
one user message revealing the held-out functions), then steps repeat: query the model, keep
its raw response, decode it (:func:`farm.formats.execute.decode_execute`); a response that
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

With ``keep_tool_results`` the outcome's ``call_info`` is ``{"tool_results": ...}``: per turn,
per step, the result strings the model was shown for that step's calls (``[]`` for a step
without calls), aligned by index with ``raw_output`` (BFCL keeps them in its inference log).
The agentic categories keep them: web pages and memory contents cannot be re-executed later.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from farm.endpoints.pool import EndpointPool, RequestRejected, RetriesExhausted
from farm.endpoints.types import Completion, CompletionRequest
from farm.errors import (
    ConfigError,
    EndpointError,
    EndpointPermanent,
    EndpointTransient,
    SuiteError,
)
from farm.formats import get_format
from farm.formats.execute import DecodeError, decode_execute, is_empty_response
from farm.inference import (
    BAD_REQUEST,
    PERMANENT,
    TRANSIENT,
    InferenceOutcome,
    build_request,
    failed,
    model_docs,
)
from farm.models.registry import ModelSpec
from farm.multiturn.checker import is_long_context, open_case_environment
from farm.multiturn.dispatch import execute_calls
from farm.multiturn.envs import Environment, EnvironmentSources, ModuleSet
from farm.suites.case import Case

#: BFCL's ``MAXIMUM_STEP_LIMIT``: a turn is force-quit after more executed steps than this.
MAXIMUM_STEP_LIMIT = 20
#: ``error_type`` of a case whose environment cannot be built (a suite problem).
ENVIRONMENT_ERROR = "environment"


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
    *,
    environment: Environment | None = None,
    turns: list[list[dict[str, Any]]] | None = None,
    threaded_tools: bool = False,
    keep_tool_results: bool = False,
) -> InferenceOutcome:
    """Run one multi-turn case against the model and return BFCL's multi-turn result shape.

    Never raises for endpoint failures: they become a failed outcome. The environment is
    private to this call (fresh modules and instances from the case's ``initial_config``),
    unless ``environment`` is given (the agentic categories bring the farm's own memory and
    web-search tools); ``turns`` replaces the case's turns (a memory system prompt added);
    ``threaded_tools`` runs each step's calls in a worker thread (tools that do I/O);
    ``keep_tool_results`` keeps the tool results in ``call_info`` (module docstring).
    """
    call_format = get_format(spec.mode)
    if spec.tool_choice != "auto":
        # A turn ends when the model answers without a call: forcing calls would run every
        # turn into the step limit. BFCL sends no tool_choice at all.
        spec = spec.model_copy(update={"tool_choice": "auto"})
    try:
        env = environment or open_case_environment(
            case, ModuleSet(EnvironmentSources.from_suite_extra(suite_extra))
        )
    except SuiteError as exc:
        return failed(ENVIRONMENT_ERROR, exc.message)
    holdout: Mapping[str, Any] = case.extra.get("missed_function") or {}
    docs = model_docs(case)
    tally = _Tally()
    turns_out: list[list[Any]] = []
    tool_results: list[list[list[str]]] = []
    history: list[dict[str, Any]] = []
    force_quit = False
    template: CompletionRequest | None = None  # the request for ``docs``: tools converted once
    template_docs = docs
    for turn_index, turn_messages in enumerate(case.turns if turns is None else turns):
        messages = copy.deepcopy(turn_messages)
        revealed = holdout.get(str(turn_index))
        if revealed is not None:
            revealed_docs = copy.deepcopy(list(revealed))
            docs = docs + revealed_docs
            messages = [call_format.holdout_message(revealed_docs)]
        if turn_index == 0:
            messages = call_format.opening(messages, model_docs(case), case.case_id)
        history.extend(messages)
        tally.new_turn()
        steps: list[Any] = []
        shown: list[list[str]] = []
        executed = 0
        while True:
            try:
                if template is None or template_docs is not docs:
                    template = request = build_request(case, spec, messages=history, functions=docs)
                    template_docs = docs
                else:  # same docs, longer history: the dicts are sent as they are, never changed
                    request = dataclasses.replace(template, messages=list(history))
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
            step = call_format.record(completion)
            steps.append(step)
            shown.append([])
            history.append(call_format.assistant_message(completion))
            try:
                calls = decode_execute(step, mode=call_format)
            except DecodeError:
                break
            if is_empty_response(calls):
                break
            try:
                if threaded_tools:
                    results = await asyncio.to_thread(execute_calls, env, calls)
                else:
                    results = execute_calls(env, calls)
            except EndpointError as exc:  # a tool's endpoint (embeddings), not the model
                kind = TRANSIENT if isinstance(exc, EndpointTransient) else PERMANENT
                return failed(kind, f"tool endpoint: {exc.message}", attempts=tally.attempts)
            shown[-1] = list(results)
            history.extend(call_format.tool_results(calls, results, completion))
            executed += 1
            if executed > MAXIMUM_STEP_LIMIT:
                force_quit = True
                break
        turns_out.append(steps)
        tool_results.append(shown)
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
        call_info={"tool_results": tool_results} if keep_tool_results else None,
    )
