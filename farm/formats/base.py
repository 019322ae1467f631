"""The :class:`CallFormat` strategy: one object per way of offering functions and reading calls.

Shapes used throughout:

- *docs*: BFCL function docs with language hints applied (``[{name, description,
  parameters}]``).
- *reply*: what :meth:`CallFormat.record` keeps of a completion; it is stored as the
  result's ``raw_output`` (BFCL's ``result`` field) and later given to
  :meth:`CallFormat.decode` and :meth:`CallFormat.execute_strings`.
- *calls*: BFCL's decoded form ``[{name: {param: value}}]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from farm.formats.conversation import ADDITIONAL_FUNCTION_PROMPT, tool_results_message

if TYPE_CHECKING:  # the completion type is an endpoint's: used in annotations only
    from farm.endpoints.types import Completion

Message = dict[str, Any]


class CallFormat(ABC):
    """How a request offers the functions and how a reply is decoded into calls.

    Subclasses are registered with :func:`farm.formats.registry.call_format`; only
    :meth:`tools` and :meth:`decode` are abstract, every other method is a hook with BFCL's
    prompt-mode behaviour as its default.

    Attributes:
        name: the registered name (``ModelSpec.mode``, ``--mode``).
        replaces_dots: tool names go out with ``.`` replaced by ``_`` (BFCL's
            ``underscore_to_dot`` default for the format).
        runs_format_sensitivity: the format follows the prompt-format configuration of a
            format-sensitivity case (BFCL runs that category in prompt mode only and skips
            it for FC models).
    """

    name: ClassVar[str] = ""
    replaces_dots: ClassVar[bool] = False
    runs_format_sensitivity: ClassVar[bool] = False

    def opening(self, messages: list[Message], docs: list[Message], case_id: str) -> list[Message]:
        """The first request's messages (a format may add a system prompt); default as given."""
        return messages

    @abstractmethod
    def tools(self, docs: list[Message], *, copy: bool) -> list[Message] | None:
        """The request's ``tools`` field for ``docs`` (``None``: send none).

        ``copy=False`` allows the docs to be reused (they are the caller's own copy).
        """

    def record(self, completion: Completion) -> Any:
        """The reply to store (BFCL's ``result`` shape); default the text, ``""`` if none."""
        return completion.content or ""

    @abstractmethod
    def decode(self, reply: Any, *, language: str, tool_call_tag: bool = False) -> Any:
        """Decode a stored reply into calls ``[{name: {param: value}}]``.

        ``language`` is BFCL's return format: the case's language (``python``, ``java`` or
        ``javascript``), or a format-sensitivity configuration's ``ret_fmt`` (``python``,
        ``json``, ``verbose_xml``, ``concise_xml``), with ``tool_call_tag`` its
        ``<TOOLCALL>`` setting (see :func:`farm.suites.sensitivity.case_decoding`; only
        formats with ``runs_format_sensitivity`` receive the latter three or the tag, so a
        format written with ``decode(self, reply, *, language)`` keeps working).
        The result may be any value: the scorer's format check rejects what is not a call
        list.

        Raises:
            farm.formats.pydecode.DecodeError: the reply does not decode.
        """

    def execute_strings(self, step: Any) -> list[str]:
        """One multi-turn step as BFCL's executable call strings (``name(k=v,...)``).

        The default renders :meth:`decode` the way BFCL renders FC calls. Any exception means
        "undecodable" (see :func:`farm.formats.execute.decode_execute`).
        """
        calls: list[str] = []
        for item in self.decode(step, language="python"):
            for name, arguments in item.items():
                rendered = ",".join(f"{k}={v!r}" for k, v in arguments.items())
                calls.append(f"{name}({rendered})")
        return calls

    def assistant_message(self, completion: Completion) -> Message:
        """The assistant message that goes back into the history; default the text."""
        return {"role": "assistant", "content": completion.content or ""}

    def tool_results(
        self, calls: list[str], results: list[str], completion: Completion
    ) -> list[Message]:
        """Messages that feed one step's execution results back; default one user message."""
        return [tool_results_message(calls, results)]

    def holdout_message(self, docs: list[Message]) -> Message:
        """The user message of a miss_func reveal turn; default lists the docs in the text."""
        return {"role": "user", "content": f"{docs}\n{ADDITIONAL_FUNCTION_PROMPT}"}
