"""`scope` (RFC 6749 section 3.3; OpenID Connect Core 3.1.2.1 and 11).

Supported: `openid`, `profile`, `email`, `offline_access` (a refresh token with the code grant).
Unknown scopes are refused rather than silently dropped. An id_token needs `openid`.
"""
from __future__ import annotations

from authgate.errors import InvalidScope
from authgate.oauth2.authorize.context import AuthorizeContext

SUPPORTED = ("openid", "profile", "email", "offline_access")


def parse_scope(value: str | None) -> tuple[str, ...]:
    """Space-separated, order kept, duplicates dropped; InvalidScope for anything unsupported."""
    scopes: list[str] = []
    for s in (value or "").split(" "):
        if not s or s in scopes:
            continue
        if s not in SUPPORTED:
            raise InvalidScope("The requested scope is invalid or unknown.", detail=f"scope {s[:50]!r}")
        scopes.append(s)
    return tuple(scopes)


async def check_scope(ctx: AuthorizeContext) -> None:
    ctx.scopes = parse_scope(ctx.params.get("scope"))
    if "id_token" in ctx.response_types and "openid" not in ctx.scopes:
        raise InvalidScope("An id_token requires the openid scope.", detail="id_token without openid")
