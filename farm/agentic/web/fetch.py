"""Fetch one web page for ``fetch_url_content``: guarded, capped in size and time, decoded.

Behaviour (BFCL's ``fetch_url_content`` uses ``requests.get(url, timeout=20,
allow_redirects=True)`` with a browser's headers, then ``raise_for_status``):

- only ``http`` and ``https`` URLs; redirects are followed (at most ``max_redirects``), each
  hop through the same :class:`~farm.agentic.web.guard.GuardedBackend`;
- the body is read in chunks up to ``max_bytes`` (compressed and decompressed), within
  ``timeout_s`` for the whole fetch; ``gzip``, ``deflate`` and ``br`` are decoded;
- text is decoded with the charset of ``Content-Type``; without one, ``text/*`` is
  ISO-8859-1 (as ``requests`` does) and anything else UTF-8 (errors replaced);
- a 4xx or 5xx status is an error worded as ``requests`` words it, with the server's reason
  phrase: ``404 Client Error: Not Found for url: <final url>``.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import brotli
import httpcore

from farm.agentic.web.guard import AddressPolicy, GuardedBackend, Resolver

#: The request headers BFCL sends (a desktop browser's).
BROWSER_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/112.0.0.0 Safari/537.36",
    ),
    (
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    ),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Upgrade-Insecure-Requests", "1"),
    ("Referer", "https://www.google.com/"),
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


class FetchError(Exception):
    """The page could not be fetched; the message is what the tool reports.

    ``status`` is the HTTP status when the server answered with an error (a fact about the
    web, stored for replay); ``None`` for refusals, timeouts and network failures.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """A fetched page.

    Attributes:
        url: the URL asked for.
        final_url: the URL after redirects.
        status: the final HTTP status.
        text: the decoded body.
        elapsed_ms: milliseconds the fetch took.
    """

    url: str
    final_url: str
    status: int
    text: str
    elapsed_ms: int


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_error_text(status: int, reason: str, url: str) -> str:
    """``requests``' ``raise_for_status`` message for a 4xx or 5xx status."""
    side = "Client" if status < 500 else "Server"
    return f"{status} {side} Error: {reason} for url: {url}"


class _Decoder:
    """Undo the content encodings, never producing more than ``limit`` bytes."""

    def __init__(self, encodings: list[str], limit: int) -> None:
        self.limit = limit
        self.steps: list[zlib._Decompress | brotli.Decompressor] = []
        for name in reversed(encodings):
            if name in ("gzip", "x-gzip"):
                self.steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif name == "deflate":
                self.steps.append(zlib.decompressobj())
            elif name == "br":
                self.steps.append(brotli.Decompressor())
            elif name not in ("identity", ""):
                raise FetchError(f"unsupported Content-Encoding {name!r}")

    def _too_large(self) -> FetchError:
        return FetchError(f"the page is larger than {self.limit} bytes")

    def feed(self, data: bytes, produced: int) -> bytes:
        room = self.limit - produced + 1
        for step in self.steps:
            if isinstance(step, brotli.Decompressor):
                data = step.process(data, output_buffer_limit=room)
                if len(data) >= room or not step.can_accept_more_data():
                    raise self._too_large()
            else:
                data = step.decompress(data, room)
                if step.unconsumed_tail:
                    raise self._too_large()
        if produced + len(data) > self.limit:
            raise self._too_large()
        return data


def _charset(content_type: str) -> str:
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    if isinstance(charset, str) and charset:
        return charset.strip("'\"")
    return "ISO-8859-1" if content_type.lower().startswith("text/") else "utf-8"


def _decode(body: bytes, content_type: str) -> str:
    try:
        return body.decode(_charset(content_type), errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


class PageFetcher:
    """Fetches pages through one guarded connection pool.

    Args:
        policy: which addresses may be connected to.
        resolver: host name resolution (default: the system's).
        connector: the backend that opens sockets (default: httpcore's).
        timeout_s: seconds for the whole fetch, redirects included (BFCL: 20).
        max_bytes: largest body kept, before and after decompression.
        max_redirects: redirects followed before giving up.
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        connector: httpcore.NetworkBackend | None = None,
        timeout_s: float = 20.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 10,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.backend = GuardedBackend(policy, resolver=resolver, connector=connector)
        self._pool = httpcore.ConnectionPool(network_backend=self.backend, max_connections=32)

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()

    def fetch(self, url: str) -> FetchedPage:
        """GET ``url`` following redirects.

        Raises:
            FetchError: refused address, network failure, timeout, too large, too many
                redirects, or a 4xx/5xx status (worded as ``requests`` words it).
        """
        started = time.monotonic()
        deadline = started + self.timeout_s
        current = url
        for _hop in range(self.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(f"Invalid URL {current!r}: only http and https can be fetched")
            status, reason, headers, body = self._get(current, deadline)
            location = headers.get("location")
            if status in REDIRECTS and location:
                current = urljoin(current, location)
                continue
            elapsed = int((time.monotonic() - started) * 1000)
            if status >= 400:
                text = http_error_text(status, reason or _reason(status), current)
                raise FetchError(text, status=status)
            text = _decode(body, headers.get("content-type", ""))
            return FetchedPage(url, current, status, text, elapsed)
        raise FetchError(f"Exceeded {self.max_redirects} redirects.")

    def _get(self, url: str, deadline: float) -> tuple[int, str, dict[str, str], bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"timed out after {self.timeout_s:g} s")
        timeouts = {"connect": remaining, "read": remaining, "write": remaining, "pool": remaining}
        try:
            with self._pool.stream(
                "GET", url, headers=list(BROWSER_HEADERS), extensions={"timeout": timeouts}
            ) as response:
                headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers
                }
                encodings = [
                    e.strip().lower()
                    for e in headers.get("content-encoding", "").split(",")
                    if e.strip()
                ]
                phrase = response.extensions.get("reason_phrase", b"")
                reason = phrase.decode("latin-1") if isinstance(phrase, bytes) else ""
                if response.status in REDIRECTS:
                    return response.status, reason, headers, b""
                body = self._read(response, _Decoder(encodings, self.max_bytes), deadline)
                return response.status, reason, headers, body
        except FetchError:
            raise
        except httpcore.TimeoutException as exc:
            raise FetchError(f"timed out after {self.timeout_s:g} s") from exc
        except httpcore.UnsupportedProtocol as exc:
            raise FetchError(f"Invalid URL {url!r}: {exc}") from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise FetchError(str(exc) or type(exc).__name__) from exc
        except (zlib.error, brotli.error) as exc:
            raise FetchError(f"cannot decode the page: {exc}") from exc

    def _read(self, response: httpcore.Response, decoder: _Decoder, deadline: float) -> bytes:
        raw = 0
        out = bytearray()
        for chunk in response.iter_stream():
            raw += len(chunk)
            if raw > self.max_bytes:
                raise FetchError(f"the page is larger than {self.max_bytes} bytes")
            out += decoder.feed(chunk, len(out))
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {self.timeout_s:g} s")
        return bytes(out)
