"""What a password change or reset ends: every SSO session of the user (but the one that made
the change, when asked), their refresh tokens, and through the revoked-grant list the access
tokens those sessions and token families issued.

TODO(core): switch to `authgate.revocation.revoke_user_tokens(reg, user_id, keep_session_id=...)`
once it is on main; until then the repositories are called directly.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from authgate.clock import clock
from authgate.storage.schema import sso_sessions

if TYPE_CHECKING:
    from authgate.registry import Registry

MIN_REVOCATION_TTL = 7 * 86400  # as oauth2/grants/revoke.py: past any access token's expiry


async def end_user_sessions(reg: "Registry", user_id: str, keep_session_id: str | None = None) -> int:
    """Returns how many refresh tokens were revoked."""
    ttl = max(reg.settings.access_token_ttl_seconds, MIN_REVOCATION_TTL)
    async with reg.db.engine.connect() as conn:
        sessions = [r[0] for r in (await conn.execute(select(sso_sessions.c.id).where(
            sso_sessions.c.user_id == user_id, sso_sessions.c.revoked_instant.is_(None),
            sso_sessions.c.expires_instant > clock.now_ms()))).all()]
    families = {row["family_id"] for row in await reg.db.refresh_tokens.live_for_user(user_id)
                if row.get("session_id") is None or row["session_id"] != keep_session_id}
    revoked = 0
    for session_id in sessions:
        if session_id == keep_session_id:
            continue
        await reg.db.sso_sessions.revoke(session_id)
        revoked += await reg.db.refresh_tokens.revoke_for_session(session_id)
        await reg.db.revoked_grants.revoke(session_id, ttl)
    for family_id in families:
        revoked += await reg.db.refresh_tokens.revoke_family(family_id)
        await reg.db.revoked_grants.revoke(family_id, ttl)
    return revoked
