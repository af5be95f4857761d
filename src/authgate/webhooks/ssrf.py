"""Server-side request forgery guard for webhook receivers (OWASP SSRF Prevention Cheat Sheet).

A receiver URL is refused when any address its host resolves to is not a public unicast address
(loopback, private, link-local -- which includes cloud metadata at 169.254.169.254 --, carrier
NAT, multicast, reserved, unspecified, IPv4-mapped forms of these), unless the address lies in one
of the operator's `webhook_allowed_networks`. The check runs when a webhook is saved and again
before every delivery, on the addresses actually resolved then; the delivery connects to the very
address that was checked (so a DNS answer that changes in between cannot redirect it), and
redirects are never followed.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL = 2048


class Refused(Exception):
    """The URL may not be called; the message says why (for the operator, not a client)."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # as written in the URL (the Host header and TLS server name)
    port: int
    address: str  # the checked IP address to connect to


def networks(spec: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip())


def is_public(ip: Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL without credentials, else Refused."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise Refused("the URL must be an http or https URL of at most 2048 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"the URL is malformed: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("the URL must be an absolute http or https URL")
    if parts.username is not None or parts.password is not None:
        raise Refused("the URL must not carry credentials")
    if any(c in url for c in "\r\n\t \\"):
        raise Refused("the URL contains characters it may not")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def resolve(url: str, allowed: tuple[Network, ...]) -> Target:
    """Parse, resolve and check the receiver; returns the address to connect to."""
    scheme, host, port = parse(url)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Refused(f"the host {host!r} does not resolve: {exc}") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    if not addresses:
        raise Refused(f"the host {host!r} does not resolve")
    for ip in addresses:
        if not is_public(ip) and not any(ip in net for net in allowed if ip.version == net.version):
            raise Refused(f"{host} resolves to {ip}, a non-public address outside AUTHGATE_WEBHOOK_ALLOWED_NETWORKS")
    return Target(scheme, host, port, str(addresses[0]))
