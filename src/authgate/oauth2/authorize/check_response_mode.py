"""`response_mode` (OAuth 2.0 Multiple Response Types section 2.1, Form Post Response Mode).

Tokens never travel in the query string: `query` is refused for implicit responses.
"""
from __future__ import annotations

from authgate.errors import InvalidRequest
from authgate.oauth2.authorize.context import AuthorizeContext

SUPPORTED = ("query", "fragment", "form_post")


async def check_response_mode(ctx: AuthorizeContext) -> None:
    mode = ctx.params.get("response_mode")
    if mode is None:
        return
    if mode not in SUPPORTED:
        raise InvalidRequest("The response_mode is not supported.", detail=f"response_mode {mode[:50]!r}")
    if mode == "query" and ctx.implicit:
        raise InvalidRequest("Tokens cannot be returned in the query string.", detail="response_mode=query with implicit")
    ctx.response_mode = mode
