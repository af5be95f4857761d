"""`nonce` (OpenID Connect Core 3.2.2.1): required whenever an id_token comes from the authorization
endpoint, so a replayed id_token can be detected by the client."""
from __future__ import annotations

from authgate.errors import InvalidRequest
from authgate.oauth2.authorize.context import AuthorizeContext


async def check_nonce(ctx: AuthorizeContext) -> None:
    ctx.nonce = ctx.params.get("nonce")
    if ctx.nonce is None and "id_token" in ctx.response_types:
        raise InvalidRequest("The nonce parameter is required for this response_type.", detail="implicit id_token without nonce")
