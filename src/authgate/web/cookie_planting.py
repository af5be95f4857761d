"""Two cookies of one of our names: neither is taken, and the planted one is cleared.

A page on a sibling subdomain (`evil.authgate.localhost`) may set cookies with
`Domain=authgate.localhost`; the browser then sends them to the IdP next to its own host-only
ones, under the same name, in an order the page can influence (RFC 6265 section 5.4: longer path
first, then older). The pen-tester planted `fusionauth.sso` that way and the server took the
last copy -- the attacker's session. No server can tell which copy is its own (the Cookie header
carries no attributes), so a request with two cookies of one of our names (web/cookies.NAMES,
with or without `__Host-`) is treated as carrying none of that name: the copies are removed from
the request before any endpoint reads it, and the answer expires the planted copy on every parent
domain of the issuer (built from configuration, never from `Host`). Over https the `__Host-`
prefix keeps the plant out in the first place.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from authgate.web.cookies import HOST_PREFIX, NAMES

log = logging.getLogger("authgate.cookie_planting")
_OURS = frozenset(n.encode() for base in NAMES for n in (base, HOST_PREFIX + base))
_HINTS = tuple(base.encode() + b"=" for base in NAMES)


def parent_domains(issuer: str) -> list[str]:
    """`idp.authgate.localhost` -> [`authgate.localhost`]: where a sibling can plant a cookie for us."""
    labels = (urlsplit(issuer).hostname or "").split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def _duplicates(header: bytes) -> set[bytes]:
    seen: set[bytes] = set()
    twice: set[bytes] = set()
    for pair in header.split(b";"):
        key = pair.split(b"=", 1)[0].strip()
        if key in _OURS:
            (twice if key in seen else seen).add(key)
    return twice


class OneOfEach:
    def __init__(self, app: Any, issuer: str) -> None:
        self.app = app
        self._clear = [(name, [(b"set-cookie", f"{name.decode()}=; Domain={domain}; Path=/; Max-Age=0".encode())
                               for domain in parent_domains(issuer)]) for name in _OURS]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        dups: set[bytes] = set()
        for key, value in scope["headers"]:
            # Cheap test first: the hot paths carry no cookie of ours, or each once.
            if key == b"cookie" and any(value.count(hint) > 1 for hint in _HINTS):
                dups |= _duplicates(value)
        if not dups:
            return await self.app(scope, receive, send)
        log.warning("request to %s carries two cookies named %s: both ignored (planted from a sibling domain?)",
                    scope.get("path"), b", ".join(sorted(dups)).decode())
        scope["headers"] = [(k, self._strip(v, dups) if k == b"cookie" else v) for k, v in scope["headers"]]
        clear = [h for name, headers in self._clear if name in dups for h in headers]

        async def add_clearing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*(message.get("headers") or []), *clear]
            await send(message)

        await self.app(scope, receive, add_clearing)

    @staticmethod
    def _strip(header: bytes, dups: set[bytes]) -> bytes:
        return b";".join(p for p in header.split(b";") if p.split(b"=", 1)[0].strip() not in dups)
