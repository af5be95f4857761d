"""Answering a validated authorize request for a logged-in user (RFC 6749 sections 4.1.2, 4.2.2;
OpenID Connect Core 3.1.2.5, 3.2.2.5).

`code`: a single-use code, stored as a digest, valid `authorization_code_ttl_seconds` (<= 60 s,
RFC 6749 section 4.1.2 recommends 10 minutes at most), bound to the client, the redirect URI,
the PKCE challenge and a fresh grant id (what its reuse revokes).
`token` / `id_token`: implicit responses, in the fragment (or form_post), never the query.
The values are sent back by the hosted pages (ui/answer.py, oauth2/responses.py's modes).
"""
from __future__ import annotations

import secrets
import uuid

from authgate.accounts import registration_required, token_refusal
from authgate.clock import clock
from authgate.errors import AccessDenied
from authgate.oauth2.authorize.context import AuthorizeContext
from authgate.sessions.sso import SsoSession
from authgate.tokens import access, id_token


async def issue(ctx: AuthorizeContext, session: SsoSession) -> dict[str, str | int]:
    """The authorization response's values for the logged-in user of `session`."""
    reg, client, user = ctx.reg, ctx.client, session.user
    assert client is not None and ctx.redirect_uri is not None
    registration = await reg.db.registrations.get(user["id"], client.client_id) \
        if ctx.implicit or registration_required(client.app) else None
    why = token_refusal(user, client.app, registration)
    if why is not None:  # RFC 6749 section 4.1.2.1: sent back to the client, which may show it
        raise AccessDenied("The user may not use this application.", detail=f"user {user['id']}: {why}")
    values: dict[str, str | int] = {}
    grant_id = str(uuid.uuid4())
    if "code" in ctx.response_types:
        code = secrets.token_urlsafe(32)
        ttl = min(reg.settings.authorization_code_ttl_seconds, 60)
        await reg.db.codes.create(code, {
            "application_id": client.client_id, "user_id": user["id"], "session_id": session.id, "grant_id": grant_id,
            "expires_instant": clock.now_ms() + ttl * 1000,
            "doc": {"redirect_uri": ctx.redirect_uri, "scope": ctx.scope, "nonce": ctx.nonce,
                    "code_challenge": ctx.code_challenge, "code_challenge_method": ctx.code_challenge_method,
                    "auth_time": session.auth_time, "amr": list(session.amr)},
        })
        values["code"] = code
    token = None
    if "token" in ctx.response_types:
        token, exp_ms, _ = await access.issue(reg, user=user, app=client.app, registration=registration,
                                              auth_type="PASSWORD", auth_time=session.auth_time, sid=session.id,
                                              scope=ctx.scope, grant_id=grant_id, amr=session.amr)
        values.update(access_token=token, token_type="Bearer", expires_in=max(0, exp_ms // 1000 - int(clock.now())),
                      scope=ctx.scope)
    if "id_token" in ctx.response_types:
        values["id_token"] = await id_token.issue(reg, app=client.app, user=user, registration=registration,
                                                  auth_time=session.auth_time, sid=session.id, nonce=ctx.nonce,
                                                  access_token=token, amr=session.amr)
    if ctx.state is not None:
        values["state"] = ctx.state
    values["iss"] = reg.issuer
    return values
