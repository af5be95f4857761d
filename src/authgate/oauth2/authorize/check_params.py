"""RFC 6749 section 3.1: no parameter may be repeated; ours: none may be oversized.
OpenID Connect Core 6: request objects (`request`, `request_uri`) are not supported."""
from __future__ import annotations

from authgate.oauth2.authorize.context import AuthorizeContext, RequestNotSupported, RequestUriNotSupported


async def check_params(ctx: AuthorizeContext) -> None:
    names = ctx.params.names()
    if "request" in names:
        raise RequestNotSupported("Request objects are not supported.")
    if "request_uri" in names:
        raise RequestUriNotSupported("The request_uri parameter is not supported.")
    ctx.params.check_all()
