"""Revoking refresh tokens on request -- one by id or by value, a user's or an application's, a
logout, an SSO session ended by an administrator -- each recorded as `jwt.refresh-token.revoke`
in the same transaction as the revocation (the FusionAuth JWT API, logout, OAuth's revocation
endpoint, the admin console). How a revocation works is revocation.py's; this is who asked for
which.
"""
from __future__ import annotations

from typing import Any

from authgate import events, revocation
from authgate.errors import not_found
from authgate.registry import Registry


async def _revoke_row(reg: Registry, row: dict[str, Any], payload: dict[str, Any]) -> None:
    async with events.recorded(reg) as tx:
        await revocation.revoke_refresh_token(reg, row, tx=tx)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=row["user_id"],
                          application_id=row["application_id"], payload=payload, tx=tx)


async def revoke_by_id(reg: Registry, token_id: str) -> None:
    """Revoke one refresh token by id, with its grant (the API's DELETE ?tokenId= and the admin console)."""
    row = await reg.db.refresh_tokens.get(token_id)
    if row is None:
        raise not_found("refresh token")
    await _revoke_row(reg, row, {"refreshTokenId": token_id})


async def revoke_by_value(reg: Registry, token: str) -> None:
    """Revoke the refresh token whose value is given (holding it is the right to revoke it); an
    unknown value revokes nothing and says nothing."""
    row = await reg.db.refresh_tokens.find_by_token(token)
    if row is not None:
        await _revoke_row(reg, row, {"refreshTokenId": row["id"]})


async def revoke_for(reg: Registry, user_id: str | None, application_id: str | None) -> None:
    """Every token of a user (at one application, if given), or of an application."""
    async with events.recorded(reg) as tx:
        if user_id:
            await revocation.revoke_user_tokens(reg, user_id, application_id=application_id, tx=tx)
        elif application_id:
            await revocation.revoke_application(reg, application_id, tx=tx)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=user_id, application_id=application_id,
                          payload={}, tx=tx)


async def logout(reg: Registry, token: str, *, everywhere: bool) -> None:
    """The refresh token's grant ends (`everywhere`: every session and token of its user)."""
    row = await reg.db.refresh_tokens.find_by_token(token)
    if row is None:
        return
    async with events.recorded(reg) as tx:
        if everywhere:  # every session of the user, and every access token, not only this one's
            await revocation.revoke_user_tokens(reg, row["user_id"], tx=tx)
        else:
            await revocation.revoke_grant(reg, row["family_id"], tx=tx)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=row["user_id"], application_id=row["application_id"],
                          payload={"refreshTokenId": row["id"], "global": everywhere, "reason": "logout"}, tx=tx)


async def end_session(reg: Registry, session: dict[str, Any], why: str) -> None:
    """End one SSO session: it, its refresh tokens and its access tokens stop working (logout's
    rule), recorded as that revocation naming the session. `why`: the audit entry's message."""
    async with events.recorded(reg) as tx:
        await revocation.end_session(reg, session["id"], tx=tx)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, user_id=session["user_id"],
                          payload={"sessionId": session["id"]}, message=why, tx=tx)


async def revoke_grant(reg: Registry, grant_id: str, client_id: str) -> int:
    """A client revokes one of its grants (RFC 7009); how many refresh tokens went with it."""
    async with events.recorded(reg) as tx:
        count = await revocation.revoke_grant(reg, grant_id, tx=tx)
        await events.emit(reg, events.REFRESH_TOKEN_REVOKE, application_id=client_id,
                          payload={"grantId": grant_id, "refreshTokens": count}, tx=tx)
    return count
