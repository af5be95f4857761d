"""The resource owner password credentials grant (RFC 6749 section 4.3). Legacy: RFC 9700
section 2.4 says it MUST NOT be used, so it is off unless `enabledGrants` lists `password`.
Credentials go through the same `authenticate()` (lockout included) as /api/login.
"""
from __future__ import annotations

import uuid
from typing import Any

from authgate.accounts import LoginRefused, authenticate_logged, login_completed
from authgate.clock import clock
from authgate.errors import InvalidGrant, InvalidRequest
from authgate.mfa import amr, factors
from authgate.oauth2.authorize.check_scope import parse_scope
from authgate.oauth2.clients import Client
from authgate.oauth2.grants.issue import user_tokens
from authgate.oauth2.params import Params
from authgate.registry import Registry


async def grant(reg: Registry, client: Client, params: Params, jkt: str | None) -> dict[str, Any]:
    username, password = params.get("username"), params.get("password")
    if username is None or password is None:
        raise InvalidRequest("The username and password parameters are required.")
    scope = " ".join(parse_scope(params.get("scope")))
    try:
        user = await authenticate_logged(reg, username, password, client.client_id)
    except LoginRefused as exc:  # RFC 6749 section 5.2: one error, whatever the reason (no enumeration)
        reason = "user_locked" if exc.reason == "locked" else ""
        raise InvalidGrant("The user credentials are invalid.", reason=reason, detail=f"password grant: {exc.reason}") from None
    if await factors.second_factor_needed(reg, user["id"], client.app):
        # A password alone must not outrank the second factor the hosted login would ask for.
        raise InvalidGrant("The user must log in with a second factor.", detail="password grant: MFA required")
    user = await login_completed(reg, user, client.client_id, username)
    grant_id = str(uuid.uuid4())
    return await user_tokens(reg, client, user, scope=scope, auth_time=int(clock.now()), auth_type="PASSWORD",
                             sid=grant_id, grant_id=grant_id, jkt=jkt, amr=amr.PASSWORD)
