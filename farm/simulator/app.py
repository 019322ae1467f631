"""The simulator's HTTP application: the OpenAI protocol, answered from the ground truth.

It serves ``/v1/chat/completions`` (with tools), ``/v1/completions``, ``/v1/embeddings``,
``/v1/models``, ``/health``, ``/metrics`` and a small web of its own (``/search.json``,
``/web/<page>``, see :mod:`farm.simulator.web`). At most ``capacity`` requests are served at
once; the rest wait, as in a continuous-batching server. It is a simulator and says so in
``/v1/models`` and in the ``Server`` header of every response.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from farm import __version__
from farm.answers.agentic import MEMORY_TOOLS, answer_memory_prerequisite
from farm.answers.ground_truth import CaseIndex, Reply, answer, is_wrong, python_call_text
from farm.answers.prompt_calls import prompt_call_text
from farm.prompts.system import requested_format
from farm.simulator.config import FaultKind, SimulatorConfig
from farm.simulator.metrics import Metrics
from farm.simulator.styles import styled_message
from farm.simulator.web import add_routes
from farm.suites.case import Case

if TYPE_CHECKING:  # the multi-turn hook is imported on first use
    from farm.answers.multiturn import MultiTurnIndex

SIM_KEY: web.AppKey[Simulator] = web.AppKey("sim")
SERVER_HEADER = f"farm-simulator/{__version__} (a simulator, not a model)"
EMBEDDING_DIM = 256
_TOOLS_MARK = re.compile(
    r"Here is a list of functions in (?P<classic>\w+) format that you can invoke\.\n"
    r"|Below is a list of callable functions in the (?P<experimental>\w+) style:\n"
)
_XML_DOC = re.compile(
    r'^<function name="(?P<name>.*?)">\n  <desc>(?P<desc>.*?)</desc>\n', re.M | re.S
)
_PY_DOC = re.compile(
    r'^# Function: (?P<name>.*?)\n    """\n    (?P<desc>.*?)\n\n(?=    Args:\n|    """\n)',
    re.M | re.S,
)
_WORD = re.compile(r"[a-z0-9]+")


def prompt_function_names(messages: Sequence[dict[str, Any]]) -> list[str] | None:
    """Function names listed in a BFCL prompt-mode system prompt, or ``None``."""
    docs = prompt_function_docs(messages)
    return None if docs is None else [str(d["name"]) for d in docs]


def prompt_function_docs(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The function docs listed in a BFCL prompt-mode system prompt, or ``None``.

    JSON docs come back whole; XML and Python docs (format sensitivity) as ``{name,
    description}`` read from their rendering.
    """
    for message in messages:
        content = message.get("content")
        if message.get("role") != "system" or not isinstance(content, str):
            continue
        mark = _TOOLS_MARK.search(content)
        if mark is None:
            continue
        doc_format, at = mark["classic"] or mark["experimental"], mark.end()
        if doc_format == "xml":
            found = _XML_DOC.finditer(content, at)
        elif doc_format == "python":
            found = _PY_DOC.finditer(content, at)
        else:
            try:
                docs, _ = json.JSONDecoder().raw_decode(content, at)
            except ValueError:
                return None
            if isinstance(docs, list):
                return [d for d in docs if isinstance(d, dict) and "name" in d]
            return None
        return [{"name": m["name"], "description": m["desc"]} for m in found]
    return None


def prompt_reply_render(
    messages: Sequence[dict[str, Any]],
) -> Callable[[Sequence[tuple[str, dict[str, Any]]]], str] | None:
    """How to write calls for the return format and tag a prompt-mode request asks for.

    ``None`` when its system prompt asks for none (the default Python syntax applies).
    """
    for message in messages:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            asked = requested_format(content)
            if asked is not None:
                ret, tag = asked
                return lambda calls: prompt_call_text(calls, ret, tag)
    return None


def embed(text: str) -> list[float]:
    """A deterministic bag-of-words embedding: similar wording, similar vectors."""
    vector = [0.0] * EMBEDDING_DIM
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "big") % EMBEDDING_DIM
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class Simulator:
    """The server's state: cases, the capacity limit, fault draws and metrics."""

    def __init__(
        self,
        cases: Sequence[Case],
        config: SimulatorConfig,
        suite_extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.suite_extra = dict(suite_extra or {})
        self.index = CaseIndex(cases)
        self.metrics = Metrics(capacity=config.capacity)
        self._slots: asyncio.Semaphore | None = None
        self._rng = random.Random(config.seed)
        self._seen: Counter[str] = Counter()
        self._multi_turn: MultiTurnIndex | None = None

    def multi_turn_index(self) -> MultiTurnIndex:
        """The multi-turn cases by first opening, built on the first multi-turn request."""
        if self._multi_turn is None:
            from farm.answers.multiturn import MultiTurnIndex  # multi-turn hook

            self._multi_turn = MultiTurnIndex(self.index.cases)
        return self._multi_turn

    def slots(self) -> asyncio.Semaphore:
        """The capacity limit, created on the server's event loop."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.capacity)
        return self._slots

    def fault_for(self, body: bytes) -> FaultKind | None:
        """The fault this request meets, if any."""
        if self.config.fail_first:
            key = hashlib.blake2b(body, digest_size=16).hexdigest()
            self._seen[key] += 1
            if self._seen[key] <= self.config.fail_first:
                return self.config.fail_kind
        if self.config.fault_rate and self._rng.random() < self.config.fault_rate:
            return self._rng.choice(self.config.fault_kinds)
        return None

    def find_case(self, payload: dict[str, Any]) -> tuple[Case | None, list[dict[str, Any]]]:
        """The case a chat or completion payload is about, and its messages."""
        messages = payload.get("messages")
        tools = payload.get("tools") or None
        if isinstance(messages, list):
            docs = [t.get("function", {}) for t in tools] if tools else None
            docs = docs if docs is not None else prompt_function_docs(messages) or []
            names = [str(d.get("name", "")) for d in docs]
            descriptions = [str(d.get("description", "")) for d in docs]
            case = self.index.find(messages, names, descriptions)
            if case is None and MEMORY_TOOLS & set(names):
                return None, messages  # a memory prerequisite conversation: no case
            if case is None or case.category.startswith("multi_turn"):
                from farm.answers.multiturn import match_case  # multi-turn hook

                case = match_case(self.multi_turn_index(), messages, case, self.suite_extra)
            return case, messages
        prompt = str(payload.get("prompt", ""))
        return self.index.find_in_prompt(prompt), [{"role": "user", "content": prompt}]

    def none_reply(self, reply: Reply) -> str:
        """The text answer to ``tool_choice: "none"``.

        A family style writes its calls as text (a chat template still renders the tools),
        any other style answers prose.
        """
        from farm.simulator.styles import render_calls

        style = self.config.call_style
        text = render_calls(style, reply.tool_calls) if style != "tool_calls" else None
        return text or "I would call a tool here, but tool calls are switched off."

    def draw_seed(self, payload: dict[str, Any]) -> int:
        """The seed of the wrong-answer draw.

        The simulator's own, mixed with the request's OpenAI ``seed`` when it sends one: a
        sampled model answers differently per seed, and the same seed the same way.
        """
        request_seed = payload.get("seed")
        if isinstance(request_seed, int) and not isinstance(request_seed, bool):
            return self.config.seed * 1_000_003 + request_seed
        return self.config.seed

    def reply_for(self, payload: dict[str, Any]) -> Reply:
        """The answer to a chat or completion payload."""
        tools = payload.get("tools") or None
        case, messages = self.find_case(payload)
        if case is None:
            names = _offered_names(payload)
            if MEMORY_TOOLS & set(names):  # a memory prerequisite conversation
                return answer_memory_prerequisite(messages, names, fc=bool(tools))
            reply = probe_reply(messages, fc=bool(tools))
            if reply is None:
                return Reply(
                    content="I do not know this question (the simulator has no such case)."
                )
        else:
            wrong = is_wrong(
                case.case_id, rate=self.config.wrong_rate, seed=self.draw_seed(payload)
            )
            render = None if tools else prompt_reply_render(messages)
            reply = answer(
                case,
                messages,
                fc=bool(tools),
                wrong=wrong,
                suite_extra=self.suite_extra,
                render=render,
            )
        choice = payload.get("tool_choice")
        if tools and reply.tool_calls and choice == "none":
            return Reply(content=self.none_reply(reply))
        if tools and reply.tool_calls and isinstance(choice, dict):
            wanted = choice.get("function", {}).get("name")
            reply = Reply(tool_calls=[c for c in reply.tool_calls if c[0] == wanted][:1])
        return reply


def probe_reply(messages: Sequence[dict[str, Any]], *, fc: bool) -> Reply | None:
    """The conforming answer to a request of ``farm endpoints probe``, else None."""
    from farm.endpoints.conformance import probe_answer

    calls = probe_answer(messages)
    if calls is None:
        return None
    if not calls:
        return Reply(content="Here is my answer, no tool needed.")
    if fc:
        return Reply(tool_calls=[(n, json.dumps(a, ensure_ascii=False)) for n, a in calls])
    return Reply(content=python_call_text(calls))


def _offered_names(payload: dict[str, Any]) -> list[str]:
    tools = payload.get("tools") or None
    messages = payload.get("messages")
    if tools:
        return [str(t.get("function", {}).get("name", "")) for t in tools]
    if isinstance(messages, list):
        return [str(d.get("name", "")) for d in prompt_function_docs(messages) or []]
    return []


async def _fault(request: web.Request, sim: Simulator, kind: FaultKind) -> web.Response:
    if kind == "hang":
        await asyncio.sleep(sim.config.hang_s)
        return web.json_response({"error": {"message": "hung"}}, status=504)
    if kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    return web.json_response(
        {"error": {"message": "simulated server error", "type": "InternalServerError"}},
        status=500,
    )


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


async def _generate(request: web.Request, chat: bool) -> web.Response:
    sim: Simulator = request.app[SIM_KEY]
    handler = "/v1/chat/completions" if chat else "/v1/completions"
    body = await request.read()
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        sim.metrics.http[(handler, 400)] += 1
        return web.json_response({"error": {"message": "body is not a JSON object"}}, status=400)
    fault = sim.fault_for(body)
    if fault is not None:
        sim.metrics.http[(handler, 500)] += 1
        return await _fault(request, sim, fault)
    started = time.perf_counter()
    slots = sim.slots()
    sim.metrics.waiting += 1
    try:
        await slots.acquire()
    finally:
        sim.metrics.waiting -= 1
    sim.metrics.queue.observe(time.perf_counter() - started)
    sim.metrics.running += 1
    try:
        reply = sim.reply_for(payload)
        out_text = reply.content or "".join(n + a for n, a in reply.tool_calls)
        out_tokens = _tokens(out_text)
        delay = sim.config.latency_s + sim.config.per_token_s * out_tokens
        if delay:
            await asyncio.sleep(delay)
    except asyncio.CancelledError:
        sim.metrics.finished["abort"] += 1
        raise
    finally:
        sim.metrics.running -= 1
        slots.release()
    in_tokens = _tokens(body.decode("utf-8", "replace"))
    sim.metrics.prompt_tokens += in_tokens
    sim.metrics.generation_tokens += out_tokens
    sim.metrics.finished["stop"] += 1
    sim.metrics.e2e.observe(time.perf_counter() - started)
    sim.metrics.http[(handler, 200)] += 1
    usage = {
        "prompt_tokens": in_tokens,
        "completion_tokens": out_tokens,
        "total_tokens": in_tokens + out_tokens,
    }
    model = payload.get("model") or sim.config.model_name
    if chat:
        message, finish = styled_message(sim.config.call_style, reply.content, reply.tool_calls)
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": out_text, "finish_reason": "stop"}
        kind = "text_completion"
    return web.json_response(
        {
            "id": f"sim-{id(request):x}",
            "object": kind,
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
            "usage": usage,
        }
    )


async def chat_completions(request: web.Request) -> web.Response:
    """``POST /v1/chat/completions``."""
    return await _generate(request, chat=True)


async def completions(request: web.Request) -> web.Response:
    """``POST /v1/completions``."""
    return await _generate(request, chat=False)


async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``: deterministic bag-of-words vectors."""
    sim: Simulator = request.app[SIM_KEY]
    try:
        payload = await request.json()
        given = payload["input"]
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": {"message": "expected {'input': ...}"}}, status=400)
    texts = [given] if isinstance(given, str) else [str(t) for t in given]
    data = [{"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(texts)]
    tokens = sum(_tokens(t) for t in texts)
    sim.metrics.http[("/v1/embeddings", 200)] += 1
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "model": payload.get("model") or sim.config.model_name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


async def models(request: web.Request) -> web.Response:
    """``GET /v1/models``: one model, marked as a simulator."""
    sim: Simulator = request.app[SIM_KEY]
    entry = {
        "id": sim.config.model_name,
        "object": "model",
        "created": 0,
        "owned_by": "farm-simulator",
        "root": "farm-simulator",
        "max_model_len": 131072,
        "simulator": True,
        "description": f"farm simulator answering {len(sim.index.cases)} cases from ground truth",
    }
    return web.json_response({"object": "list", "data": [entry]})


async def health(request: web.Request) -> web.Response:
    """``GET /health``: 200 with an empty body."""
    return web.Response(status=200)


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: Prometheus text with vLLM's metric names."""
    sim: Simulator = request.app[SIM_KEY]
    return web.Response(text=sim.metrics.render(sim.config.model_name), content_type="text/plain")


async def _server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_HEADER


def make_app(sim: Simulator) -> web.Application:
    """The aiohttp application serving ``sim``."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.on_response_prepare.append(_server_header)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/completions", completions)
    app.router.add_post("/v1/embeddings", embeddings)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics)
    add_routes(app, sim.metrics.http)
    return app
