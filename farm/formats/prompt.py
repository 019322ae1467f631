"""The ``prompt`` call format: BFCL's prompt-mode system prompt, call syntax back as text."""

from __future__ import annotations

from typing import Any

from farm.formats.base import CallFormat, Message
from farm.formats.cdecode import decode_cstyle_calls
from farm.formats.execute import decode_prompt_step
from farm.formats.registry import call_format
from farm.formats.retdecode import decode_prompt_calls
from farm.prompts.system import with_system_prompt


@call_format("prompt")
class BfclPrompt(CallFormat):
    """BFCL's prompting mode: the docs in a system prompt, ``[f(a=1), ...]`` back as text.

    Java and JavaScript cases decode with BFCL's C-style call grammar; Python, JSON and XML
    (with or without ``<TOOLCALL>`` tags, format sensitivity) with
    :func:`farm.formats.retdecode.decode_prompt_calls`.
    """

    runs_format_sensitivity = True

    def opening(self, messages: list[Message], docs: list[Message], case_id: str) -> list[Message]:
        """The messages with BFCL's system prompt for ``docs`` (format chosen by case id)."""
        return with_system_prompt(messages, docs, case_id)

    def tools(self, docs: list[Message], *, copy: bool) -> list[Message] | None:
        """No ``tools`` field: the functions are in the system prompt."""
        return None

    def decode(self, reply: Any, *, language: str, tool_call_tag: bool = False) -> Any:
        """BFCL's ``default_decode_ast_prompting`` for the return format and tag setting."""
        if language in ("java", "javascript"):
            return decode_cstyle_calls(reply, language)
        return decode_prompt_calls(reply, language, tool_call_tag)

    def execute_strings(self, step: Any) -> list[str]:
        """BFCL's ``default_decode_execute_prompting``."""
        return decode_prompt_step(step)
