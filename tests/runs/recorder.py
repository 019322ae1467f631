"""A recording reverse proxy on loopback: keeps every request body, forwards it unchanged."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from aiohttp import web

from farm.endpoints.conformance import probe_answer


class Recorder:
    """The bodies of the chat requests that went through the proxy."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.authorizations: set[str] = set()
        self.base_url = ""

    @property
    def tool_counts(self) -> list[int]:
        """How many tools each chat request of a case offered (start-up checks left out)."""
        from farm.endpoints.preflight import PING

        return [
            len(b.get("tools") or [])
            for b in self.bodies
            if "messages" in b
            and probe_answer(b["messages"]) is None
            and b["messages"] != PING.messages
        ]


@contextmanager
def recording_proxy(target: str) -> Iterator[Recorder]:
    """Serve ``http://127.0.0.1:PORT/v1`` forwarding to ``target`` (a ``/v1`` base URL)."""
    recorder = Recorder()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        recorder.authorizations.add(request.headers.get("Authorization", ""))
        if body:
            recorder.bodies.append(json.loads(body))
        path = request.path.removeprefix("/v1")
        async with state["session"].request(
            request.method, target + path, data=body, headers={"Content-Type": "application/json"}
        ) as upstream:
            content = await upstream.read()
            return web.Response(
                body=content, status=upstream.status, content_type="application/json"
            )

    async def start() -> None:
        state["session"] = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        recorder.base_url = f"http://127.0.0.1:{port}/v1"
        state["runner"] = runner
        started.set()

    async def stop() -> None:
        await state["runner"].cleanup()
        await state["session"].close()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        yield recorder
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
