"""`state` (RFC 6749 section 4.1.1) is echoed on every redirect, errors included; read it first.

An application may require it (`oauthConfiguration.requireState`, ours), as RFC 9700 section
2.1 allows when PKCE is not the client's CSRF defence.
"""
from __future__ import annotations

from authgate.errors import InvalidRequest
from authgate.oauth2.authorize.context import AuthorizeContext


async def check_state(ctx: AuthorizeContext) -> None:
    assert ctx.client is not None
    ctx.state = ctx.params.get("state")
    if ctx.state is None and ctx.client.require_state:
        raise InvalidRequest("The state parameter is required.", detail="missing state, client requires it")
