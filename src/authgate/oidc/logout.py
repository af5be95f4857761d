"""`GET/POST /oauth2/logout` (OpenID Connect RP-Initiated Logout 1.0, sections 2 and 3).

Ends the browser's SSO session: the session row, its refresh tokens, and the access tokens
carrying its `sid` (revocation.end_session), and clears the cookie.

Where it may redirect (our choice, documented): `post_logout_redirect_uri` must equal, character
for character, the client's `oauthConfiguration.logoutURL` or one of its
`authorizedRedirectURLs`. The client is named by `client_id` or by the `aud` of
`id_token_hint` (signature checked; an expired hint is accepted, section 2). Without
`post_logout_redirect_uri` the browser goes to the client's `logoutURL` if it has one, else a
"logged out" page. An unregistered URI, or a hint for another client, gets an error page and
the session is left alone.

Confirmation (section 2: the OP MUST ask when no `id_token_hint` of the current session is
given): without such a hint, a browser that has a session gets a "Log out?" page whose form posts
the same parameters back with `confirm=yes` and a CSRF token (ui/csrf.py); only that POST ends the
session. So a cross-site link or image cannot log anyone out, while a client that sends the ID
token it got for this session keeps one-step logout.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from authgate import revocation
from authgate.oauth2 import params as oauth_params
from authgate.oauth2.clients import Client, find_client
from authgate.oauth2.responses import REDIRECT_HEADERS
from authgate.registry import Registry
from authgate.sessions import sso
from authgate.shapes import Shape, form_body
from authgate.tokens import access, jwt
from authgate.ui import csrf
from authgate.ui.pages import error_page, render
from authgate.web import cookies, sso_cookies
from authgate.web.context import registry

router = APIRouter()
log = logging.getLogger("authgate.logout")


class _Refused(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


async def _client(reg: Registry, client_id: str | None, hint: str | None) -> tuple[Client | None, dict[str, Any]]:
    """The client named by `client_id` and/or the hint, and the hint's claims ({} without one)."""
    aud, claims = None, {}
    if hint is not None:
        try:
            claims = await jwt.verify(reg.keys, hint, issuer=reg.issuer, allow_expired=True)
        except jwt.TokenInvalid as exc:
            raise _Refused(f"bad id_token_hint: {exc.reason}") from None
        if access.is_access_token(claims):
            # Resource servers hold access tokens too; only the ID token may skip the confirmation.
            raise _Refused("id_token_hint is an access token")
        aud = claims.get("aud")
        if client_id is not None and aud != client_id:
            raise _Refused("id_token_hint audience differs from client_id")
    wanted = client_id or (aud if isinstance(aud, str) else None)
    client = await find_client(reg, wanted)
    if wanted is not None and client is None:
        raise _Refused(f"unknown client {str(wanted)[:64]!r}")
    return client, claims


def _target(client: Client | None, uri: str | None) -> str | None:
    if uri is None:
        return client.logout_url if client else None
    if client is None:
        raise _Refused("post_logout_redirect_uri without a client")
    if "#" in uri or (uri != client.logout_url and uri not in client.redirect_uris):
        raise _Refused(f"post_logout_redirect_uri {uri[:200]!r} not registered")
    return uri


# OpenID Connect RP-Initiated Logout 1.0 section 2, and the confirmation form's own fields.
LOGOUT_FORM = Shape({"id_token_hint": str, "client_id": str, "post_logout_redirect_uri": str, "state": str,
                     "confirm": str, csrf.FIELD: str})


@router.get("/oauth2/logout")
@router.post("/oauth2/logout", openapi_extra=form_body(LOGOUT_FORM))
async def logout(request: Request) -> Response:
    reg = registry(request)
    params = await oauth_params.read(request, declared=LOGOUT_FORM)
    try:
        params.check_all()
        client, hint = await _client(reg, params.get("client_id"), params.get("id_token_hint"))
        target = _target(client, params.get("post_logout_redirect_uri"))
    except (_Refused, oauth_params.BadParams) as exc:
        log.info("logout refused: %s", getattr(exc, "detail", exc))
        return error_page("This logout request is not valid for the application.")
    session = await sso_cookies.current(reg, request)
    if session is not None and hint.get("sid") != session.id:
        if request.method != "POST" or params.get("confirm") != "yes":
            return _confirm(request, params, client, session, target)
        why = csrf.refusal(request, reg.issuer, params.get(csrf.FIELD))
        if why is not None:
            log.info("logout confirmation refused: %s", why)
            return error_page("This logout request did not come from this site. Nothing was changed.", status=403)
    if session is not None:
        await revocation.end_session(reg, session.id)
    if target is not None:
        state = params.get("state")
        location = target if state is None else f"{target}{'&' if '?' in target else '?'}{urlencode({'state': state})}"
        response: Response = RedirectResponse(location, status_code=302, headers=REDIRECT_HEADERS)
    else:
        response = render("logged_out.html")
    # The Login API's cookies go only with a session this request ended (confirmed, or named by its
    # id_token_hint): without one there is nothing to end, and a cross-site form must not log a
    # native-mode SPA out by deleting its refresh_token cookie (issue 15, finding 2).
    ended = (cookies.REFRESH_TOKEN, cookies.ACCESS_TOKEN) if session is not None else ()
    for name in (cookies.SSO, *ended):
        cookies.clear_cookie(request, response, name)
    return response


_CARRIED = ("client_id", "id_token_hint", "post_logout_redirect_uri", "state")


def _confirm(request: Request, params: oauth_params.Params, client: Client | None, session: sso.SsoSession,
             target: str | None) -> Response:
    token = csrf.token(request)
    user = session.user
    response = render("logout_confirm.html", form_targets=(target,) if target else (),
                      app_name=client.app["name"] if client else None,
                      user_label=user.get("email") or user.get("username"),
                      hidden=params.as_dict(_CARRIED), csrf_token=token)
    csrf.set_cookie(request, response, token, "/oauth2/logout")
    return response
