"""Inference of one case: build the request for the model's call format, send it, keep the reply.

The raw output is what the call format (:mod:`farm.formats`) records, exactly the shape BFCL
stores in a result file's ``result`` field: prompt mode the text; FC mode a list of
``{tool_name: arguments_json}`` or, with no tool call, the text. A failed inference is an
outcome with ``raw_output=None`` and ``error_type`` / ``error_message`` set, never an error
string in the output. Multi-turn cases are BFCL's conversation loop
(:func:`farm.benchmarks.bfcl.conversation.run_conversation`), chosen by :mod:`farm.benchmarks.bfcl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from farm.endpoints.embeddings import EmbeddingClient, select_tools
from farm.endpoints.pool import EndpointPool, RequestRejected, RetriesExhausted
from farm.endpoints.types import Completion, CompletionRequest
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient
from farm.formats import get_format
from farm.formats.reply import decode_reply
from farm.jsondata import json_copy
from farm.models.registry import ModelSpec
from farm.prompts.tools import with_language_hints
from farm.suites.case import Case

#: ``error_type`` values of failed outcomes.
TRANSIENT = "endpoint_transient"
PERMANENT = "endpoint_permanent"
BAD_REQUEST = "request_build"


@dataclass(frozen=True)
class ToolRetrieval:
    """Offer only the ``k`` most similar functions, ranked with ``client``'s embeddings."""

    k: int
    client: EmbeddingClient

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ConfigError(f"--tool-retrieval must be at least 1, not {self.k}")


@dataclass(frozen=True)
class InferenceOutcome:
    """What inference of one case produced.

    Attributes:
        raw_output: BFCL's ``result`` shape, or ``None`` when inference failed.
        latency_s: seconds spent, retries included (multi-turn: the sum over steps).
        input_tokens: prompt tokens (multi-turn: summed).
        output_tokens: completion tokens (multi-turn: summed).
        attempts: requests made (multi-turn: summed).
        endpoint: the endpoint that answered (the last one for multi-turn).
        error_type: ``None`` on success, else one of the module's error types.
        error_message: one line describing the failure.
        log: further JSON-serialisable detail (multi-turn: per-step counts and state).
        call_info: what the reply was besides its calls (finish reason, null/empty content,
            reasoning, who parsed the calls, protocol deviations; see
            :mod:`farm.formats.reply`); ``None`` for failed and multi-turn inference, except
            agentic conversations: ``{"tool_results": [[[str]]]}`` per turn and step.
    """

    raw_output: Any
    latency_s: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0
    endpoint: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    log: Any = None
    call_info: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """Whether inference produced an output."""
        return self.error_type is None


def failed(
    error_type: str,
    message: str,
    *,
    attempts: int = 0,
    endpoint: str | None = None,
    latency_s: float = 0.0,
) -> InferenceOutcome:
    """A failed outcome."""
    return InferenceOutcome(
        raw_output=None,
        latency_s=latency_s,
        attempts=attempts,
        endpoint=endpoint,
        error_type=error_type,
        error_message=message.splitlines()[0] if message else error_type,
    )


def model_docs(case: Case) -> list[dict[str, Any]]:
    """The function docs as the model sees them (BFCL's language hints applied).

    A format-sensitivity clone gets the hints twice, as BFCL loads it: once for its
    original category (``extra["original_category"]``) and once for its own.
    """
    docs = case.functions
    original = case.extra.get("original_category")
    if isinstance(original, str):
        docs = with_language_hints(docs, original)
    return with_language_hints(docs, case.category)


def _tool_choice(spec: ModelSpec, tools: list[dict[str, Any]]) -> str | dict[str, Any] | None:
    if spec.tool_choice == "auto":
        return None  # BFCL sends no tool_choice; the server's default is auto
    if spec.tool_choice == "none":
        return "none"  # tools rendered by the template, calls parsed by the client
    if spec.tool_choice == "named" and len(tools) == 1:
        return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
    return "required"


def build_request(
    case: Case,
    spec: ModelSpec,
    messages: list[dict[str, Any]] | None = None,
    functions: list[dict[str, Any]] | None = None,
) -> CompletionRequest:
    """The request for ``case`` (or for ``messages`` and ``functions`` of a later step).

    ``functions`` are docs with language hints (:func:`model_docs`); by default the case's.

    Raises:
        ConfigError: if the docs cannot be converted (BFCL fails such cases the same way).
    """
    own_docs = functions is None
    docs = model_docs(case) if functions is None else functions
    history = json_copy(case.turns[0] if messages is None else messages)
    generation = dict(spec.generation)
    if spec.max_tokens is not None:
        generation.setdefault("max_tokens", spec.max_tokens)
    call_format = get_format(spec.mode)
    try:
        if messages is None:
            history = call_format.opening(history, docs, case.case_id)
        tools = call_format.tools(docs, copy=not own_docs)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"case {case.case_id}: function docs cannot be converted: {exc!r}"
        ) from exc
    return CompletionRequest(
        messages=history,
        tools=tools,
        tool_choice=_tool_choice(spec, tools) if tools else None,
        generation=generation,
        case=case,
    )


def raw_output(completion: Completion, mode: str) -> Any:
    """A response in BFCL's ``result`` shape for the call format ``mode``."""
    return get_format(mode).record(completion)


def reply_output(
    completion: Completion, spec: ModelSpec, request: CompletionRequest
) -> tuple[Any, dict[str, Any]]:
    """The raw output and ``call_info`` of a reply (family formats: client-side parsing)."""
    docs = request.case.functions if request.case is not None else None
    return decode_reply(completion, mode=spec.mode, docs=docs)


async def infer_case(
    case: Case,
    spec: ModelSpec,
    pool: EndpointPool,
    *,
    tool_retrieval: ToolRetrieval | None = None,
) -> InferenceOutcome:
    """Run inference for one case with one request. Never raises for endpoint failures.

    This is how single-turn cases are solved; a benchmark with other shapes (BFCL's
    multi-turn conversations, :mod:`farm.benchmarks.bfcl.conversation`) solves them its own way
    (:mod:`farm.benchmarks`). With ``tool_retrieval`` only the K functions most similar to
    the question are offered (see :mod:`farm.endpoints.embeddings`).
    """
    if tool_retrieval is not None:
        try:
            case = await select_tools(case, tool_retrieval.k, tool_retrieval.client)
        except (RetriesExhausted, EndpointTransient) as exc:
            return failed(TRANSIENT, f"tool retrieval: {exc.message}")
        except EndpointPermanent as exc:
            return failed(PERMANENT, f"tool retrieval: {exc.message}")
    try:
        request = build_request(case, spec)
    except ConfigError as exc:
        return failed(BAD_REQUEST, exc.message)
    try:
        completion = await pool.complete(request)
    except (RetriesExhausted, RequestRejected) as exc:
        kind = TRANSIENT if isinstance(exc, EndpointTransient) else PERMANENT
        return failed(kind, exc.message, attempts=exc.attempts, endpoint=exc.endpoint)
    except EndpointTransient as exc:
        return failed(TRANSIENT, exc.message)
    except EndpointPermanent as exc:
        return failed(PERMANENT, exc.message)
    output, call_info = reply_output(completion, spec, request)
    return InferenceOutcome(
        raw_output=output,
        call_info=call_info,
        latency_s=completion.latency_s,
        input_tokens=completion.input_tokens,
        output_tokens=completion.output_tokens,
        attempts=completion.attempts,
        endpoint=completion.endpoint,
    )
