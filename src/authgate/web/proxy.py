"""X-Forwarded-Proto and X-Forwarded-For, believed only from the proxies in `trusted_proxies`.

Anyone can send these headers. Believed from anyone, `X-Forwarded-Proto: https` would decide
whether cookies get `Secure` and `X-Forwarded-For` would pick the address rate limits count
against, so a client could choose both. This middleware rewrites the ASGI scope's `scheme` and
`client` from them only when the connection comes from a trusted proxy (an address or CIDR
network of `AUTHGATE_TRUSTED_PROXIES`); otherwise the headers are ignored. Without any trusted
proxy it is not installed at all, and `serve` turns uvicorn's own handling off
(`proxy_headers=False`), so this is the only place they are read.

The client is the rightmost X-Forwarded-For address that is not itself a trusted proxy: each
proxy appends the address it received the request from, so everything to the left of the first
untrusted hop may have been written by the client.
"""
from __future__ import annotations

import ipaddress
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: list[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted(host: str | None, nets: tuple[Network, ...]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a unix socket path, or a test client's made-up name
        return False
    return any(address in net for net in nets)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    found = None
    for key, value in scope["headers"]:
        if key == name:  # repeated headers are one comma-separated list (RFC 9110 section 5.3)
            found = value.decode("latin-1") if found is None else f"{found},{value.decode('latin-1')}"
    return found


class ProxyHeaders:
    def __init__(self, app: Any, trusted_proxies: list[str]) -> None:
        self.app = app
        self.nets = networks(trusted_proxies)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and trusted((scope.get("client") or (None, 0))[0], self.nets):
            scope = dict(scope)
            proto = _header(scope, b"x-forwarded-proto")
            if proto is not None:
                last = proto.rsplit(",", 1)[-1].strip().lower()  # the nearest (trusted) proxy's view
                if last in ("http", "https"):
                    websocket = scope["type"] == "websocket"
                    scope["scheme"] = ("wss" if websocket else "https") if last == "https" else ("ws" if websocket else "http")
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded is not None:
                hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
                client = next((hop for hop in reversed(hops) if not trusted(hop, self.nets)), hops[0] if hops else None)
                if client is not None:
                    scope["client"] = (client, 0)
        await self.app(scope, receive, send)
