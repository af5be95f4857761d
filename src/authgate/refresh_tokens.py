"""Revoking refresh tokens on request -- one by id or by value, a user's or an application's, a
logout -- each recorded as `jwt.refresh-token.revoke` (the FusionAuth JWT API, logout, the admin
console). How a revocation works is revocation.py's; this is who asked for which.
"""
from __future__ import annotations

from authgate import events, revocation
from authgate.errors import not_found
from authgate.registry import Registry


async def revoke_by_id(reg: Registry, token_id: str) -> None:
    """Revoke one refresh token by id, with its grant (the API's DELETE ?tokenId= and the admin console)."""
    row = await reg.db.refresh_tokens.get(token_id)
    if row is None:
        raise not_found("refresh token")
    await revocation.revoke_refresh_token(reg, row)
    await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=row["user_id"], application_id=row["application_id"],
                      payload={"refreshTokenId": token_id})


async def revoke_by_value(reg: Registry, token: str) -> None:
    """Revoke the refresh token whose value is given (holding it is the right to revoke it); an
    unknown value revokes nothing and says nothing."""
    row = await reg.db.refresh_tokens.find_by_token(token)
    if row is not None:
        await revocation.revoke_refresh_token(reg, row)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=row["user_id"],
                          application_id=row["application_id"], payload={"refreshTokenId": row["id"]})


async def revoke_for(reg: Registry, user_id: str | None, application_id: str | None) -> None:
    """Every token of a user (at one application, if given), or of an application."""
    if user_id:
        await revocation.revoke_user_tokens(reg, user_id, application_id=application_id)
    elif application_id:
        await revocation.revoke_application(reg, application_id)
    await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=user_id, application_id=application_id, payload={})


async def logout(reg: Registry, token: str, *, everywhere: bool) -> None:
    """The refresh token's grant ends (`everywhere`: every session and token of its user)."""
    row = await reg.db.refresh_tokens.find_by_token(token)
    if row is not None:
        if everywhere:  # every session of the user, and every access token, not only this one's
            await revocation.revoke_user_tokens(reg, row["user_id"])
        else:
            await revocation.revoke_grant(reg, row["family_id"])
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=row["user_id"], application_id=row["application_id"],
                          payload={"refreshTokenId": row["id"], "global": everywhere, "reason": "logout"})
