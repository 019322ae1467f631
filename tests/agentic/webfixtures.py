"""Loopback-only plumbing for the web tests: a connector that fails on any address outside
127.0.0.0/8, a resolver of our own, and a small stdlib HTTP server with awkward pages."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


class OffLoopback(AssertionError):
    """A connection outside 127.0.0.0/8 was attempted: the test fails, nothing is sent."""


class LoopbackOnlyConnector(httpcore.NetworkBackend):
    """Opens sockets to 127.0.0.0/8 only; records every attempt."""

    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()
        self.attempts: list[str] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        self.attempts.append(host)
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise OffLoopback(f"asked to connect to a name, not an address: {host}") from None
        if ip not in LOOPBACK:
            raise OffLoopback(f"attempted connection off loopback: {host}")
        return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise OffLoopback("unix socket")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


NAMES = {
    "localhost": ["127.0.0.1"],
    "allowed.test": ["127.0.0.1"],
    "private.test": ["10.0.0.7"],
    "metadata.test": ["169.254.169.254"],
    "rebind.test": ["127.0.0.1", "10.0.0.8"],
    "public.test": ["93.184.215.14"],
}


def test_resolver(host: str, port: int) -> list[str]:
    """Our own DNS: the names above, literal IPs as themselves, nothing else."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    if host in NAMES:
        return list(NAMES[host])
    raise OSError(f"[Errno -2] Name or service not known: {host}")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {"Content-Type": "text/html; charset=utf-8"}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/to":
            self._send(302, b"", {"Location": query.removeprefix("url=")})
        elif path == "/page":
            self._send(200, b"<html><body><p>Hello from loopback</p></body></html>")
        elif path == "/big":
            self._send(200, b"x" * 8192)
        elif path == "/bomb":
            self._send(
                200,
                gzip.compress(b"\0" * (4 << 20)),
                {"Content-Type": "text/html", "Content-Encoding": "gzip"},
            )
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, b"late")
        elif path == "/latin":
            self._send(200, "caf\u00e9".encode("latin-1"), {"Content-Type": "text/plain"})
        else:
            self._send(404, b"missing")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is expected


@contextmanager
def awkward_server() -> Iterator[int]:
    """A threaded HTTP server on 127.0.0.1; yields its port."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
