"""RFC 6749 section 4.1.2.1: an unknown or inactive `client_id` is shown on the IdP, never redirected."""
from __future__ import annotations

from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.oauth2.clients import find_client
from authgate.oauth2.params import BadParams

_MESSAGE = "The application making this request is not known."


async def check_client(ctx: AuthorizeContext) -> None:
    try:
        client_id = ctx.params.get("client_id")
    except BadParams as exc:
        raise ErrorPage(_MESSAGE, exc.detail) from None
    if client_id is None:
        raise ErrorPage(_MESSAGE, "missing client_id")
    client = await find_client(ctx.reg, client_id)
    if client is None:
        raise ErrorPage(_MESSAGE, f"unknown or inactive client_id {client_id[:64]!r}")
    ctx.client = client
