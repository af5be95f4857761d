"""The authorization code grant at the token endpoint (RFC 6749 section 4.1.3; RFC 7636 section
4.6; RFC 9700 sections 2.1.1 and 4.5).

Client and redirect_uri are checked before the code is spent. A code is spent once; presenting it
again (by its own client) revokes everything it issued (its grant: the refresh
token family and, through `gid`, its access tokens). It must be unexpired, issued to this client,
redeemed with the same redirect_uri, and its PKCE binding must hold both ways: a code issued
with a challenge needs the verifier, and a verifier sent for a code without a challenge is
refused (PKCE downgrade / code injection).
"""
from __future__ import annotations

import logging
from typing import Any

from authgate.clock import clock
from authgate.errors import InvalidGrant, InvalidRequest
from authgate.oauth2 import pkce
from authgate.oauth2.clients import Client
from authgate.oauth2.grants.issue import user_tokens
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.revocation import revoke_grant

log = logging.getLogger("authgate.grants.code")
_GENERIC = "The authorization code is invalid, expired or was already used."


async def _replayed(reg: Registry, grant_id: str) -> None:
    revoked = await revoke_grant(reg, grant_id)
    log.warning("authorization code replayed: grant %s revoked (%d refresh tokens)", grant_id, revoked)


def _check_pkce(doc: dict[str, Any], verifier: str | None) -> None:
    challenge = doc.get("code_challenge")
    if challenge is None and verifier is not None:
        raise InvalidGrant("The code_verifier does not match.", detail="verifier sent for a code without challenge")
    if challenge is not None:
        if verifier is None:
            raise InvalidGrant("The code_verifier is required.", detail="code issued with challenge, no verifier")
        if not pkce.verify(verifier, challenge):
            raise InvalidGrant("The code_verifier does not match.", detail="PKCE verifier mismatch")


async def grant(reg: Registry, client: Client, params: Params, jkt: str | None) -> dict[str, Any]:
    code, redirect_uri, verifier = params.get("code"), params.get("redirect_uri"), params.get("code_verifier")
    if code is None:
        raise InvalidRequest("The code parameter is required.")
    if redirect_uri is None:
        raise InvalidRequest("The redirect_uri parameter is required.")
    # Section 4.1.3: the code must have been issued to this client, for this redirect_uri. Both are
    # checked before the code is spent, so another client (or a wrong redirect_uri) cannot burn a
    # code, nor revoke its grant by "replaying" it.
    row = await reg.db.codes.peek(code)
    if row is None:
        raise InvalidGrant(_GENERIC, detail="unknown code")
    if row["application_id"] != client.client_id:
        raise InvalidGrant(_GENERIC, detail=f"code of {row['application_id']} redeemed by {client.client_id}")
    doc = row["doc"]
    if redirect_uri != doc["redirect_uri"]:
        raise InvalidGrant(_GENERIC, detail="redirect_uri differs from the authorize request")
    row, first_use = await reg.db.codes.consume(code)
    if row is None:
        raise InvalidGrant(_GENERIC, detail="unknown code")
    if not first_use:
        await _replayed(reg, row["grant_id"])  # the code leaked: its own client presented it twice
        raise InvalidGrant(_GENERIC, detail="code replayed")
    if clock.now_ms() >= row["expires_instant"]:
        raise InvalidGrant(_GENERIC, detail="code expired")
    _check_pkce(doc, verifier)
    if client.pkce_required and doc.get("code_challenge") is None:
        raise InvalidGrant(_GENERIC, detail="client requires PKCE, code has none")
    session = await reg.db.sso_sessions.get(row["session_id"]) if row["session_id"] else None
    if session is None or session["revoked_instant"] is not None:
        raise InvalidGrant(_GENERIC, detail="the login session of this code has ended")
    user = await reg.db.users.get(row["user_id"])
    if user is None:
        raise InvalidGrant(_GENERIC, detail="user gone")
    return await user_tokens(reg, client, user, scope=doc.get("scope") or "", auth_time=doc["auth_time"],
                             auth_type="PASSWORD", sid=row["session_id"], grant_id=row["grant_id"], jkt=jkt,
                             nonce=doc.get("nonce"), amr=doc.get("amr"))
