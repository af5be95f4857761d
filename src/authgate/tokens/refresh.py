"""Refresh tokens: opaque, stored as digests, grouped in families for rotation and reuse detection.

One module serves both FusionAuth's `/api/jwt/refresh` and OAuth's `refresh_token` grant.
RFC 9700 section 4.14.2: a rotated (already used) token presented again means it was stolen,
so the whole family is revoked and the legitimate holder must log in again.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from authgate import events
from authgate.accounts import token_refusal
from authgate.clock import clock
from authgate.registry import Registry
from authgate.revocation import revoke_grant
from authgate.tokens import access
from authgate.tokens.policy import TokenPolicy, token_policy

log = logging.getLogger("authgate.refresh")


class RefreshError(Exception):
    """reason: not_found | expired | revoked | reused | wrong_client | inactive | not_registered | dpop_mismatch"""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Refreshed:
    token: str  # the new access token
    expires_instant: int
    refresh_token: str  # the new one after rotation, or the same one
    refresh_token_id: str
    rotated: bool
    claims: dict[str, Any]
    row: dict[str, Any]


def _expiry(policy: TokenPolicy, start: int, now: int) -> int:
    ttl = policy.refresh_ttl_minutes * 60_000
    if policy.expiration == "SlidingWindow":
        return now + ttl
    if policy.expiration == "SlidingWindowWithMaximumLifetime":
        return min(now + ttl, start + policy.maximum_lifetime_minutes * 60_000)
    return start + ttl


def _values(reg: Registry, *, user_id: str, app: dict[str, Any] | None, session_id: str | None,
            doc: dict[str, Any] | None, family_id: str | None, start_instant: int | None,
            expires_instant: int | None) -> dict[str, Any]:
    now = clock.now_ms()
    policy = token_policy(reg, app)
    start = start_instant or now
    return {
        "id": str(uuid.uuid4()), "family_id": family_id or str(uuid.uuid4()), "user_id": user_id,
        "application_id": app["id"] if app else None, "session_id": session_id, "start_instant": start,
        "insert_instant": now, "expires_instant": expires_instant or _expiry(policy, start, now), "doc": doc or {},
    }


async def create(reg: Registry, *, user_id: str, app: dict[str, Any] | None, session_id: str | None = None,
                 doc: dict[str, Any] | None = None, family_id: str | None = None, start_instant: int | None = None,
                 expires_instant: int | None = None) -> tuple[str, dict[str, Any]]:
    token = secrets.token_urlsafe(48)
    row = await reg.db.refresh_tokens.create(token, _values(
        reg, user_id=user_id, app=app, session_id=session_id, doc=doc, family_id=family_id,
        start_instant=start_instant, expires_instant=expires_instant))
    return token, row


async def _reuse_detected(reg: Registry, row: dict[str, Any]) -> RefreshError:
    # The family's access tokens carry `gid` = family id: /api/jwt/validate, introspection and
    # userinfo refuse them from now on, not only at their `exp`.
    # Not in one transaction with its event, unlike other revocations: this one answers an attack
    # and must hold even if recording it fails (emit then logs the failure).
    revoked = await revoke_grant(reg, row["family_id"])
    log.warning("refresh token reuse: family %s revoked (%d tokens) for user %s", row["family_id"], revoked, row["user_id"])
    await events.emit(reg, events.REFRESH_TOKEN_REUSE_DETECTED, user_id=row["user_id"],
                      application_id=row["application_id"],
                      payload={"refreshTokenId": row["id"], "familyId": row["family_id"], "revoked": revoked})
    return RefreshError("reused")


Found = tuple[dict[str, Any], dict[str, Any], "dict[str, Any] | None"]  # token row, user, registration


async def find(reg: Registry, token: str) -> Found | None:
    """The token with its holder, in one read; None for anything that is not a stored token."""
    if not token or not isinstance(token, str) or len(token) > 512:
        return None
    return await reg.db.refresh_tokens.find_with_holder(token)


async def exchange(reg: Registry, token: str, *, client_id: str | None = None, dpop_jkt: str | None = None,
                   scope: str | None = None, found: Found | None = None) -> Refreshed:
    """`found`: what `find(token)` returned if the caller has just called it, saving a read;
    the consume below stays the only arbiter of who spends the token."""
    if found is None:
        found = await find(reg, token)
    if found is None:
        raise RefreshError("not_found")
    row, user, registration = found
    if client_id is not None and row["application_id"] != client_id:
        raise RefreshError("wrong_client")
    if client_id is None and row["doc"].get("confidential"):
        # Issued to a confidential client: only that client, authenticated at /oauth2/token, may
        # use it -- never a bare POST to /api/jwt/refresh (RFC 6749 section 6).
        raise RefreshError("wrong_client")
    if row["revoked_instant"] is not None:
        raise RefreshError("revoked")
    if row["used_instant"] is not None:
        raise await _reuse_detected(reg, row)
    now = clock.now_ms()
    if now >= row["expires_instant"]:
        raise RefreshError("expired")
    bound = row["doc"].get("jkt")
    if bound and bound != dpop_jkt:
        raise RefreshError("dpop_mismatch")
    app = await reg.apps.get(row["application_id"]) if row["application_id"] else None
    if row["application_id"] and app is None:
        raise RefreshError("inactive")
    why = token_refusal(user, app, registration)
    if why is not None:
        raise RefreshError("not_registered" if why == "not_registered" else "inactive")
    policy = token_policy(reg, app)
    rotated = policy.one_time_use
    new_token, new_row = token, row
    if rotated:
        doc = row["doc"]
        if dpop_jkt and not bound and not doc.get("confidential"):
            # RFC 9449 section 5: a public client's refresh token is bound to the key of its first
            # DPoP proof, so a later thief without the private key cannot use the rotated token.
            doc = {**doc, "jkt": dpop_jkt}
        new_token = secrets.token_urlsafe(48)
        rotated_row = await reg.db.refresh_tokens.rotate(row["id"], new_token, _values(
            reg, user_id=user["id"], app=app, session_id=row["session_id"], doc=doc, family_id=row["family_id"],
            start_instant=row["start_instant"],
            expires_instant=_expiry(policy, row["start_instant"], now) if policy.expiration != "Fixed" else row["expires_instant"],
        ))
        if rotated_row is None:
            raise await _reuse_detected(reg, row)  # lost a race with another use of the same token
        new_row = rotated_row
    elif policy.expiration != "Fixed":
        await reg.db.refresh_tokens.extend(row["id"], _expiry(policy, row["start_instant"], now))
    jkt = bound or dpop_jkt  # RFC 9449 section 5: a proof on refresh binds the new access token
    cnf = {"jkt": jkt} if jkt else None
    jwt_token, exp, claims = await access.issue(
        reg, user=user, app=app, registration=registration, auth_type="REFRESH_TOKEN",
        auth_time=row["doc"].get("auth_time"), sid=row["session_id"] or row["family_id"],
        scope=scope if scope is not None else row["doc"].get("scope"), grant_id=row["family_id"], cnf=cnf,
        amr=row["doc"].get("amr"),  # the factors of the login the token family came from
    )
    return Refreshed(jwt_token, exp, new_token, new_row["id"], rotated, claims, new_row)
