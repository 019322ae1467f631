"""The shape of a ground-truth reply, shared by the single-turn and multi-turn answers."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The text answered when no function fits (decodes to no call).
NO_CALL_TEXT = "None of the available functions can be used for this request."


@dataclass(frozen=True)
class Reply:
    """What the simulated model says: text, or tool calls as (name, arguments JSON) pairs."""

    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
