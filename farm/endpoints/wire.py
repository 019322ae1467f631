"""The HTTP wire under an endpoint: one connection pool, errors mapped at this boundary.

Two implementations with one interface. :class:`AiohttpWire` is the default: measured side by
side (``bench/inference_client.py``), it costs about a tenth of the client CPU per request
of ``httpx.AsyncClient`` at 64 requests in flight, which decides whether a 2-core worker can
keep a batch of 64 full. :class:`HttpxWire` takes an injected ``httpx`` transport, so unit
tests fake the server with :class:`httpx.MockTransport`.

Both turn foreign exceptions into :class:`~farm.errors.EndpointTransient` (timeouts,
refused or dropped connections); status codes are left to the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import httpx

from farm.errors import EndpointTransient


class Wire(ABC):
    """Sends requests to one base URL; created lazily, one per endpoint and event loop."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        max_connections: int,
        timeout: float,
        connect_timeout: float,
        label: str,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.root_url = self.base_url.removesuffix("/v1")
        self.headers = headers
        self.max_connections = max_connections
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.label = label

    @abstractmethod
    async def request(
        self, method: str, path: str, body: bytes | None = None, *, root: bool = False
    ) -> tuple[int, bytes]:
        """Send one request to ``path`` under the API root (or the server root with ``root``).

        Raises:
            EndpointTransient: on a timeout or a connection error.
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Close the connection pool."""


class AiohttpWire(Wire):
    """The default wire: an :class:`aiohttp.ClientSession` with a bounded connector."""

    _session: aiohttp.ClientSession | None = None

    def _get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                limit_per_host=self.max_connections,
                keepalive_timeout=60,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(
                    total=self.timeout, sock_connect=self.connect_timeout
                ),
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, root: bool = False
    ) -> tuple[int, bytes]:
        """Send one request over the session."""
        session = self._get()
        url = (self.root_url if root else self.base_url) + path
        try:
            async with session.request(method, url, data=body) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise EndpointTransient(f"{self.label}: timed out after {self.timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EndpointTransient(f"{self.label}: connection failed: {detail}") from exc

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None


@contextmanager
def map_httpx_errors(label: str) -> Iterator[None]:
    """Turn httpx exceptions into the farm's endpoint errors (``raise ... from exc``)."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise EndpointTransient(f"{label}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EndpointTransient(f"{label}: connection failed: {detail}") from exc


class HttpxWire(Wire):
    """A wire over :class:`httpx.AsyncClient`, with an optional injected transport."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        max_connections: int,
        timeout: float,
        connect_timeout: float,
        label: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            headers,
            max_connections=max_connections,
            timeout=timeout,
            connect_timeout=connect_timeout,
            label=label,
        )
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _get(self) -> httpx.AsyncClient:
        if self._client is None:
            n = self.max_connections
            self._client = httpx.AsyncClient(
                headers=self.headers,
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
                transport=self._transport,
            )
        return self._client

    async def request(
        self, method: str, path: str, body: bytes | None = None, *, root: bool = False
    ) -> tuple[int, bytes]:
        """Send one request through the httpx client."""
        client = self._get()
        url = (self.root_url if root else self.base_url) + path
        with map_httpx_errors(self.label):
            response = await client.request(method, url, content=body)
            return response.status_code, response.content

    async def aclose(self) -> None:
        """Close the client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
