"""Revoking a grant: its refresh token family, and (through `gid`/`sid` in access tokens, checked
by `validate_access_token`) every access token it issued. One place for code reuse (RFC 6749
section 4.1.2), RFC 7009 revocation and logout."""
from __future__ import annotations

from authgate.registry import Registry

MIN_REVOCATION_TTL = 7 * 86400  # longer than any access token we issue by default


def revocation_ttl(reg: Registry) -> int:
    """How long a revoked grant id is remembered: past the expiry of any access token carrying it."""
    return max(reg.settings.access_token_ttl_seconds, MIN_REVOCATION_TTL)


async def revoke_grant(reg: Registry, grant_id: str) -> int:
    """Returns how many refresh tokens were revoked."""
    count = await reg.db.refresh_tokens.revoke_family(grant_id)
    await reg.db.revoked_grants.revoke(grant_id, revocation_ttl(reg))
    return count
