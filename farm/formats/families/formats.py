"""The family call formats, registered with the call-format registry (:mod:`farm.formats`).

Each family (:data:`farm.formats.families.FAMILIES`) is an FC format: the request offers
native ``tools`` (the server's chat template renders them) and a reply with ``tool_calls``
is read as in FC. A reply without them holds the calls in the family's text syntax:
inference parses that text with the request's function docs and stores the calls as FC
``[{name: arguments_json}]``, marked ``parsed_by: client`` (:mod:`farm.formats.reply`);
:meth:`FamilyCalling.decode` reads stored text with the family decoder, which is how BFCL
result files of such models (``farm evaluate --call-format NAME``) decode, and stored
argument objects as they are (BFCL's pass-through handlers).

In multi-turn conversations, results of calls the client parsed from text go back in one
user message (BFCL's prompt-mode feedback), since such calls have no ``tool_call_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from farm.formats.base import CallFormat, Message
from farm.formats.conversation import tool_results_message
from farm.formats.families import FAMILIES, decode_family
from farm.formats.fc import FunctionCalling
from farm.formats.registry import call_format

if TYPE_CHECKING:
    from farm.endpoints.types import Completion


def _stored_objects(reply: Any) -> bool:
    """A stored call list whose arguments are objects, not JSON strings."""
    return isinstance(reply, list) and any(
        isinstance(item, dict)
        and any(not isinstance(v, (str, bytes, bytearray)) for v in item.values())
        for item in reply
    )


class FamilyCalling(FunctionCalling):
    """FC with a model family's text syntax as the fallback for replies without tool calls."""

    family: ClassVar[str] = ""

    def decode(self, reply: Any, *, language: str, tool_call_tag: bool = False) -> Any:
        """Text with the family decoder; stored objects as they are; else as FC."""
        if isinstance(reply, str) or _stored_objects(reply):
            return decode_family(reply, self.family)
        return super().decode(reply, language=language)

    def execute_strings(self, step: Any) -> list[str]:
        """Text steps decoded with the family decoder, rendered as BFCL renders FC calls."""
        if isinstance(step, str) or _stored_objects(step):
            return CallFormat.execute_strings(self, step)
        return super().execute_strings(step)

    def tool_results(
        self, calls: list[str], results: list[str], completion: Completion
    ) -> list[Message]:
        """Tool messages for server tool calls; one user message for calls parsed from text."""
        if completion.tool_calls:
            return super().tool_results(calls, results, completion)
        return [tool_results_message(calls, results)]


def _register(name: str) -> None:
    cls = type(
        f"{name.title().replace('_', '')}Calling",
        (FamilyCalling,),
        {"family": name, "__doc__": f"FC with {FAMILIES[name].summary} parsed from text."},
    )
    call_format(name)(cls)


for _name in FAMILIES:
    _register(_name)
