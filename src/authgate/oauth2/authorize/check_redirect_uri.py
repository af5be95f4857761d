"""RFC 6749 section 3.1.2 and RFC 9700 section 4.1.3: `redirect_uri` must equal one registered URI
character for character (simple string comparison, RFC 3986 section 6.2.1).

No prefix, wildcard, case folding, normalisation or dot-segment resolution is done, so
`https://app/cb/../evil`, `https://app@evil/cb`, `https://APP/cb`, `https://app/cb#x`,
`https://app/cb?next=//evil` and `https://app/cb/extra` are all refused unless registered
verbatim. A URI with a fragment is refused even if registered (section 3.1.2). Failures are shown
on the IdP: redirecting to an unverified URI would make the IdP an open redirector.
The parameter is required (OpenID Connect Core 3.1.2.1), so the token request can be bound to it.
"""
from __future__ import annotations

from authgate.oauth2.authorize.context import AuthorizeContext, ErrorPage
from authgate.oauth2.params import BadParams

_MESSAGE = "The redirect URI of this request is not registered for the application."


def is_registered(uri: str, registered: tuple[str, ...]) -> bool:
    return "#" not in uri and uri in registered


async def check_redirect_uri(ctx: AuthorizeContext) -> None:
    assert ctx.client is not None
    try:
        uri = ctx.params.get("redirect_uri")
    except BadParams as exc:
        raise ErrorPage(_MESSAGE, exc.detail) from None
    if uri is None:
        raise ErrorPage(_MESSAGE, "missing redirect_uri")
    if not is_registered(uri, ctx.client.redirect_uris):
        raise ErrorPage(_MESSAGE, f"redirect_uri {uri[:200]!r} not registered for client {ctx.client.client_id}")
    ctx.redirect_uri = uri
