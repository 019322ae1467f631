"""A synchronous :class:`~farm.agentic.memory.vector.Embedder` over the embedding endpoint.

Memory tools run in a worker thread (they are plain synchronous methods); their embeddings
come from the farm's asynchronous :class:`~farm.endpoints.embeddings.EmbeddingClient`,
running on the conversation's event loop. The endpoint is ``EMBEDDING_BASE_URL`` /
``EMBEDDING_API_KEY``, falling back to ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``; the model is
the setting ``FARM_MEMORY_EMBEDDING_MODEL`` (default ``all-MiniLM-L6-v2``, BFCL's encoder).
Nothing is downloaded and no model runs in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from farm.endpoints.embeddings import EmbeddingClient
from farm.errors import EndpointTransient

#: Seconds one embedding request may take, all retries included.
EMBED_TIMEOUT_S = 120.0


class LoopEmbedder:
    """Embeds through ``client`` on ``loop`` from another thread, blocking that thread only.

    Args:
        client: the embedding client (its cache avoids re-sending a text).
        loop: the running event loop the client belongs to.
        timeout: seconds to wait for one batch.
    """

    def __init__(
        self,
        client: EmbeddingClient,
        loop: asyncio.AbstractEventLoop,
        *,
        timeout: float = EMBED_TIMEOUT_S,
    ) -> None:
        self.client = client
        self.loop = loop
        self.timeout = timeout

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        """The embeddings of ``texts``; endpoint errors propagate (they are not tool output).

        Raises:
            RuntimeError: called on the loop's own thread (it would deadlock).
            EndpointTransient: no answer in time (and the client's own transient errors).
            EndpointPermanent: the endpoint refused the request.
        """
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("LoopEmbedder must be called from a worker thread")
        future = asyncio.run_coroutine_threadsafe(self.client.embed(list(texts)), self.loop)
        try:
            return future.result(timeout=self.timeout)
        except TimeoutError as exc:
            future.cancel()
            raise EndpointTransient(
                f"embedding endpoint: no answer within {self.timeout:g} s"
            ) from exc
