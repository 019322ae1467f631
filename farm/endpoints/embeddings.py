"""The embedding endpoint, and tool retrieval built on it (``--tool-retrieval K``).

Tool retrieval offers the model only the K function docs most similar to the question
(cosine similarity of embeddings of the question and of each doc's name and description),
kept in their original order. It is off by default, the standard benchmark never uses it,
and a run records the K it used. Multi-turn cases are left alone: their functions are the
state of an environment, not a choice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
from collections.abc import Sequence
from typing import Any

from farm.config import Settings
from farm.endpoints.env import embedding_endpoint, resolve_api_key
from farm.endpoints.wire import AiohttpWire, Wire
from farm.errors import ConfigError, EndpointPermanent, EndpointTransient
from farm.failures import RetryPolicy
from farm.models.registry import EndpointConfig
from farm.suites.case import Case
from farm.suites.categories import is_multi_turn


class EmbeddingClient:
    """Embeds texts through ``/v1/embeddings``, with retries and a cache by text.

    Args:
        endpoint: where to send requests; see :meth:`from_env` for the environment's.
        model: the embedding model's served name.
        policy: attempts, backoff and timeout.
    """

    def __init__(
        self, endpoint: EndpointConfig, model: str, *, policy: RetryPolicy | None = None
    ) -> None:
        self.endpoint = endpoint
        self.model = model
        self.policy = policy or RetryPolicy(timeout=60.0)
        self._wire: Wire | None = None
        self._cache: dict[str, list[float]] = {}
        self._rng = random.Random()

    @classmethod
    def from_env(
        cls, model: str, *, policy: RetryPolicy | None = None, settings: Settings | None = None
    ) -> EmbeddingClient:
        """A client for ``EMBEDDING_BASE_URL`` (falling back to ``OPENAI_BASE_URL``).

        ``settings`` default to the environment and ``.env`` read now. The client sends the
        key paired with that URL (``EMBEDDING_API_KEY``, or ``OPENAI_API_KEY`` for
        ``OPENAI_BASE_URL``; see :mod:`farm.endpoints.env`).

        Raises:
            ConfigError: if neither variable is set.
        """
        endpoint = embedding_endpoint(settings)
        if endpoint is None:
            raise ConfigError(
                "tool retrieval needs an embedding endpoint: set EMBEDDING_BASE_URL "
                "(or OPENAI_BASE_URL)"
            )
        return cls(EndpointConfig(base_url=endpoint.base_url), model, policy=policy)

    def _get_wire(self) -> Wire:
        if self._wire is None:
            headers = {"Content-Type": "application/json"}
            key = resolve_api_key(self.endpoint, "embedding")
            if key:
                headers["Authorization"] = f"Bearer {key}"
            self._wire = AiohttpWire(
                self.endpoint.base_url,
                headers,
                max_connections=self.endpoint.max_concurrency or 16,
                timeout=self.policy.timeout,
                connect_timeout=self.policy.connect_timeout,
                label=self.endpoint.label,
            )
        return self._wire

    async def _request(self, texts: list[str]) -> list[list[float]]:
        body = json.dumps({"model": self.model, "input": texts}).encode()
        attempt = 0
        while True:
            attempt += 1
            try:
                status, content = await self._get_wire().request("POST", "/embeddings", body)
                if status == 429 or status >= 500:
                    raise EndpointTransient(f"{self.endpoint.label}: HTTP {status}", status=status)
                if status != 200:
                    text = content.decode("utf-8", "replace")[:200]
                    raise EndpointPermanent(
                        f"{self.endpoint.label}: HTTP {status}: {text}", status=status
                    )
                data = json.loads(content)["data"]
                ordered = sorted(data, key=lambda item: item["index"])
                return [[float(x) for x in item["embedding"]] for item in ordered]
            except EndpointTransient:
                if attempt >= self.policy.max_attempts:
                    raise
                await asyncio.sleep(self.policy.delay(attempt, self._rng))
            except (ValueError, KeyError, TypeError) as exc:
                raise EndpointPermanent(
                    f"{self.endpoint.label}: malformed embeddings response"
                ) from exc

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embeddings of ``texts``, in order (cached texts are not sent again).

        Raises:
            EndpointTransient: every attempt failed transiently.
            EndpointPermanent: the endpoint rejected the request or answered nonsense.
        """
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = await self._request(missing)
            if len(vectors) != len(missing):
                raise EndpointPermanent(f"{self.endpoint.label}: wrong number of embeddings")
            self._cache.update(zip(missing, vectors, strict=True))
        return [self._cache[t] for t in texts]

    async def aclose(self) -> None:
        """Close connections."""
        if self._wire is not None:
            await self._wire.aclose()
            self._wire = None


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (0 for a zero vector)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def doc_text(doc: dict[str, Any]) -> str:
    """The text embedded for a function doc: its name and description."""
    return f"{doc.get('name', '')}: {doc.get('description', '')}"


def question_text(case: Case) -> str:
    """The text embedded for a case's question: the user messages of its first turn."""
    turn = case.turns[0] if case.turns else []
    return "\n".join(str(m.get("content", "")) for m in turn if m.get("role") == "user")


async def select_tools(case: Case, k: int, client: EmbeddingClient) -> Case:
    """``case`` with only its ``k`` functions most similar to the question, in doc order.

    Cases with ``k`` or fewer functions, and multi-turn cases, are returned unchanged.

    Raises:
        ConfigError: if ``k`` is below 1.
    """
    if k < 1:
        raise ConfigError(f"--tool-retrieval must be at least 1, not {k}")
    if is_multi_turn(case.category) or len(case.functions) <= k:
        return case
    vectors = await client.embed([question_text(case), *map(doc_text, case.functions)])
    question, docs = vectors[0], vectors[1:]
    ranked = sorted(range(len(docs)), key=lambda i: (-cosine(question, docs[i]), i))
    keep = sorted(ranked[:k])
    return dataclasses.replace(case, functions=[case.functions[i] for i in keep])
