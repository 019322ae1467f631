"""The ``fc`` call format: native OpenAI ``tools`` out, ``tool_calls`` back (BFCL's FC mode)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from farm.formats.base import CallFormat, Message
from farm.formats.conversation import ADDITIONAL_FUNCTION_PROMPT
from farm.formats.execute import decode_fc_step
from farm.formats.fcdecode import decode_fc_calls
from farm.formats.registry import call_format
from farm.prompts.tools import to_openai_tools

if TYPE_CHECKING:  # the completion type is an endpoint's: used in annotations only
    from farm.endpoints.types import Completion


@call_format("fc")
class FunctionCalling(CallFormat):
    """BFCL's FC mode: docs as OpenAI tools (``.`` -> ``_`` in names), JSON arguments back.

    A reply is stored as ``[{tool_name: arguments_json}]`` when the model made tool calls,
    else as its text (which decodes to no call when empty and fails to decode otherwise).
    """

    replaces_dots = True

    def tools(self, docs: list[Message], *, copy: bool) -> list[Message] | None:
        """The docs as OpenAI tools (``None`` for no docs)."""
        return to_openai_tools(docs, copy=copy) if docs else None

    def record(self, completion: Completion) -> Any:
        """``[{name: arguments_json}]`` when there are tool calls, else the text."""
        if completion.tool_calls:
            return [{call.name: call.arguments} for call in completion.tool_calls]
        return completion.content or ""

    def decode(self, reply: Any, *, language: str, tool_call_tag: bool = False) -> Any:
        """BFCL's OpenAI-style ``decode_ast`` (:func:`farm.formats.fcdecode.decode_fc_calls`)."""
        return decode_fc_calls(reply)

    def execute_strings(self, step: Any) -> list[str]:
        """BFCL's ``convert_to_function_call``: ``name(k=repr(v),...)``."""
        return decode_fc_step(step)

    def assistant_message(self, completion: Completion) -> Message:
        """The assistant message with its ``tool_calls`` (text kept as returned)."""
        message: Message = {"role": "assistant", "content": completion.content}
        if completion.tool_calls:
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

    def tool_results(
        self, calls: list[str], results: list[str], completion: Completion
    ) -> list[Message]:
        """One ``{"role": "tool", "content", "tool_call_id"}`` message per call."""
        ids = [call.id for call in completion.tool_calls]
        return [
            {"role": "tool", "content": result, "tool_call_id": call_id}
            for result, call_id in zip(results, ids, strict=False)
        ]

    def holdout_message(self, docs: list[Message]) -> Message:
        """BFCL's FC reveal turn: the new functions arrive as tools, the text only says so."""
        return {"role": "user", "content": ADDITIONAL_FUNCTION_PROMPT}
