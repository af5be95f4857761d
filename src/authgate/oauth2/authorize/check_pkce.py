"""PKCE on the authorization request (RFC 7636 section 4.3; RFC 9700 section 2.1.1).

Only `S256` is accepted: `plain` (also the RFC's default when the method is omitted) is refused.
A challenge is required from public clients and whenever the application's
`proofKeyForCodeExchangePolicy` is `Required`.
"""
from __future__ import annotations

from authgate.errors import InvalidRequest
from authgate.oauth2.authorize.context import AuthorizeContext
from authgate.oauth2.pkce import is_valid_challenge


async def check_pkce(ctx: AuthorizeContext) -> None:
    assert ctx.client is not None
    challenge = ctx.params.get("code_challenge")
    method = ctx.params.get("code_challenge_method")
    if "code" not in ctx.response_types:
        return
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was sent without a code_challenge.", detail="method without challenge")
        if ctx.client.pkce_required:
            raise InvalidRequest("PKCE with code_challenge_method=S256 is required.", detail="missing code_challenge")
        return
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256.", detail=f"code_challenge_method {method!r}")
    if not is_valid_challenge(challenge):
        raise InvalidRequest("The code_challenge is malformed.", detail="bad code_challenge format")
    ctx.code_challenge, ctx.code_challenge_method = challenge, method
