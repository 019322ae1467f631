"""Which addresses the page fetcher may connect to, enforced where connections are made.

Model output chooses the URLs ``fetch_url_content`` fetches, so the fetcher refuses every
address that is not publicly routable (loopback, private, link-local, shared/CGNAT,
reserved, multicast, unspecified; IPv4-mapped IPv6 is judged by its IPv4 address) and the
cloud metadata endpoints, unless an explicit allow list (``FARM_WEB_ALLOW_NETWORKS``, for
tests) names the network. The check runs in :class:`GuardedBackend`, the network backend of
the HTTP connection pool: every connection (the first request and every redirect hop) is
resolved by the guard, every resolved address is checked, and the connection is then made
to the checked IP itself (TLS still verifies the host name), so a DNS name that resolves
to a private address, or changes its answer between check and connect, cannot slip
through. The resolver and the inner connector are injectable: tests use a resolver of
their own and a connector that fails on any address outside 127.0.0.0/8.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Resolves ``(host, port)`` to IP address strings (a literal IP resolves to itself).
Resolver = Callable[[str, int], list[str]]

#: Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Azure wireserver).
METADATA_ADDRESSES: frozenset[str] = frozenset(
    {"169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"}
)


class BlockedAddress(httpcore.ConnectError):
    """A connection to an address the policy refuses (the message says which and why)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (TCP), in its order, deduplicated."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not public, or ``None`` if it is."""
    if str(ip) in METADATA_ADDRESSES:
        return "cloud-metadata"
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return name
    return None if ip.is_global else "non-public"


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, plus the networks in ``allow``.

    Attributes:
        allow: networks allowed although not public, e.g. ``127.0.0.0/8`` for tests.
    """

    allow: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def from_text(cls, text: str | Iterable[str] | None) -> AddressPolicy:
        """A policy from a comma-separated list of networks (``FARM_WEB_ALLOW_NETWORKS``).

        Raises:
            ValueError: an entry is not an IP network.
        """
        parts = text.split(",") if isinstance(text, str) else list(text or [])
        nets = tuple(ipaddress.ip_network(p.strip(), strict=False) for p in parts if p.strip())
        return cls(allow=nets)

    def refusal(self, address: str) -> str | None:
        """Why ``address`` is refused, or ``None`` if it may be connected to."""
        try:
            ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip.version == net.version and ip in net for net in self.allow):
            return None
        kind = _kind(ip)
        return None if kind is None else f"{ip} is a {kind} address"


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves, checks, then connects to the checked IP.

    Args:
        policy: the address policy.
        resolver: host name resolution (default: the system's ``getaddrinfo``).
        connector: the backend that opens sockets (default: httpcore's synchronous one).
    """

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        connector: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver or system_resolver
        self.connector = connector or httpcore.SyncBackend()

    def check(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` if every one is allowed.

        Raises:
            BlockedAddress: some address is refused, or the name does not resolve.
        """
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        for address in addresses:
            why = self.policy.refusal(address)
            if why is not None:
                shown = host if host == address else f"{host} ({address})"
                raise BlockedAddress(f"refused to connect to {shown}: {why}")
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first reachable checked address of ``host``."""
        last: Exception | None = None
        for address in self.check(host, port):
            try:
                return self.connector.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        """Unix sockets are never fetched."""
        raise BlockedAddress(f"refused to connect to the unix socket {path}")

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retries)."""
        self.connector.sleep(seconds)
