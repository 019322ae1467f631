"""The ``fake`` backend: a deterministic in-process model that answers from the ground truth.

``fake/oracle`` runs the whole pipeline without a server or a GPU. It reads the case from the
request (the field is never sent over the wire) and answers as the simulator does.
"""

from __future__ import annotations

import json

from farm.answers.ground_truth import answer
from farm.endpoints.base import Endpoint
from farm.endpoints.types import Completion, CompletionRequest, ToolCall
from farm.errors import EndpointPermanent


def estimate_tokens(text: str) -> int:
    """A rough token count (four characters per token), at least one."""
    return max(1, len(text) // 4)


class FakeEndpoint(Endpoint):
    """Answers every request from ``request.case`` with no I/O."""

    async def complete(self, request: CompletionRequest) -> Completion:
        """Answer at once from the case's ground truth."""
        if request.case is None:
            raise EndpointPermanent(f"{self.label}: the fake backend needs the case in the request")
        messages = request.messages or [{"role": "user", "content": request.prompt or ""}]
        reply = answer(request.case, messages, fc=bool(request.tools), wrong=False)
        calls = tuple(
            ToolCall(name=name, arguments=args, id=f"call_{i}")
            for i, (name, args) in enumerate(reply.tool_calls)
        )
        out_text = reply.content or "".join(name + args for name, args in reply.tool_calls)
        return Completion(
            content=reply.content,
            tool_calls=calls,
            input_tokens=estimate_tokens(json.dumps(messages)),
            output_tokens=estimate_tokens(out_text),
            endpoint=self.label,
            finish_reason="tool_calls" if calls else "stop",
        )
