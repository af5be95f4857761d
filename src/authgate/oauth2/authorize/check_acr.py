"""`acr_values` (OpenID Connect Core 3.1.2.1): the authentication context the client asks for.

Values this server knows (authgate/mfa/amr.py `ACR_VALUES`) are kept; `urn:authgate:acr:mfa`
makes the login ask for a second factor, even inside an SSO session that had only a password
(step-up). Unknown values are ignored: the request is voluntary, and the `acr` claim of the
tokens says what was achieved.
"""
from __future__ import annotations

from authgate.mfa.amr import ACR_VALUES
from authgate.oauth2.authorize.context import AuthorizeContext


async def check_acr(ctx: AuthorizeContext) -> None:
    requested = (ctx.params.get("acr_values") or "").split()
    ctx.acr_values = tuple(v for v in requested if v in ACR_VALUES)
