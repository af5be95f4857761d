"""The authorize checks, in order, declared once (node-oidc-provider's step table).

Order matters: the client and its exact redirect URI come first, because until both are
trusted an error must be shown on the IdP rather than redirected (RFC 6749 section 4.1.2.1).
`state` is read next so every later error carries it back; the response type fixes whether
errors travel in the query or the fragment.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from authgate.oauth2.authorize.check_acr import check_acr
from authgate.oauth2.authorize.check_client import check_client
from authgate.oauth2.authorize.check_nonce import check_nonce
from authgate.oauth2.authorize.check_params import check_params
from authgate.oauth2.authorize.check_pkce import check_pkce
from authgate.oauth2.authorize.check_prompt import check_prompt
from authgate.oauth2.authorize.check_redirect_uri import check_redirect_uri
from authgate.oauth2.authorize.check_response_mode import check_response_mode
from authgate.oauth2.authorize.check_response_type import check_response_type
from authgate.oauth2.authorize.check_scope import check_scope
from authgate.oauth2.authorize.check_state import check_state
from authgate.oauth2.authorize.context import AuthorizeContext

Step = Callable[[AuthorizeContext], Awaitable[None]]

STEPS: tuple[Step, ...] = (
    check_client,         # error page
    check_redirect_uri,   # error page
    check_state,          # from here on: errors redirect to redirect_uri with state
    check_response_type,
    check_response_mode,
    check_params,
    check_scope,
    check_nonce,
    check_pkce,
    check_prompt,
    check_acr,
)


async def validate(ctx: AuthorizeContext) -> None:
    for step in STEPS:
        await step(ctx)
