"""Requests and responses exchanged with endpoints, independent of the wire protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from farm.suites.case import Case


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """One model request.

    Attributes:
        messages: chat messages (``/v1/chat/completions``); ``None`` with ``prompt``.
        prompt: raw prompt text (``/v1/completions``); ``None`` with ``messages``.
        tools: OpenAI tool definitions, or ``None`` to send no ``tools`` field.
        tool_choice: ``"auto"``, ``"required"``, a named-tool dict, or ``None`` (not sent).
        generation: sampling settings sent as they are (temperature, max_tokens, ...).
        case: the case this request is for; never sent. The fake backend answers from it.
    """

    messages: list[dict[str, Any]] | None = None
    prompt: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    generation: dict[str, Any] = field(default_factory=dict)
    case: Case | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of a response: the name and the arguments exactly as returned."""

    name: str
    arguments: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class Completion:
    """A successful response.

    Attributes:
        content: the message text (or the completion text), ``None`` if absent.
        tool_calls: the tool calls, in order.
        input_tokens: prompt tokens reported by the server (0 if not reported).
        output_tokens: completion tokens reported by the server.
        latency_s: seconds from the first attempt to the answer, retries included.
        endpoint: label of the endpoint that answered.
        attempts: attempts made, this one included.
        finish_reason: the server's finish reason.
        reasoning: the reply's reasoning text (``reasoning_content`` or ``reasoning``).
        deviations: protocol departures seen while reading the reply (see
            :mod:`farm.formats.reply`), e.g. ``arguments_object``.
    """

    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    endpoint: str = ""
    attempts: int = 1
    finish_reason: str | None = None
    reasoning: str | None = None
    deviations: tuple[str, ...] = ()
