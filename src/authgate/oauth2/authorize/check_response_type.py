"""`response_type` (RFC 6749 sections 3.1.1, 4.1.1, 4.2.1; OAuth 2.0 Multiple Response Types).

Supported: `code`, `token`, `id_token`, `token id_token` (any order). Implicit responses are only
for applications that list `implicit` in `enabledGrants` (off by default: RFC 9700 section 2.1.2
advises against it), and the code flow needs `authorization_code`.
"""
from __future__ import annotations

from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedResponseType
from authgate.oauth2.authorize.context import AuthorizeContext

SUPPORTED = (frozenset({"code"}), frozenset({"token"}), frozenset({"id_token"}), frozenset({"token", "id_token"}))


async def check_response_type(ctx: AuthorizeContext) -> None:
    assert ctx.client is not None
    value = ctx.params.get("response_type")
    if value is None:
        raise InvalidRequest("The response_type parameter is required.", detail="missing response_type")
    parts = value.split(" ")
    types = frozenset(parts)
    if len(parts) != len(types) or types not in SUPPORTED:
        raise UnsupportedResponseType("The response_type is not supported.", detail=f"response_type {value[:100]!r}")
    ctx.response_types = types
    if ctx.implicit:
        ctx.response_mode = "fragment"  # RFC 6749 section 4.2.2.1: implicit errors go in the fragment
        if "implicit" not in ctx.client.grants:
            raise UnauthorizedClient("The client may not use the implicit grant.",
                                     detail=f"implicit not enabled for {ctx.client.client_id}")
    elif "authorization_code" not in ctx.client.grants:
        raise UnauthorizedClient("The client may not use the authorization code grant.",
                                 detail=f"authorization_code not enabled for {ctx.client.client_id}")
