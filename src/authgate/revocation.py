"""Revoking: the only way anything is revoked -- a grant, an SSO session, a user's or an
application's tokens -- and the one check (`refusal`) every access-token validation makes.

Access tokens are JWTs checked without a database read per request, so revoking one means
writing a *revocation record* that validation consults (cached per process, see
storage/repos/nonces.py `RevokedGrants`: a record is seen on this node at once, on every other
node within `RevokedGrants.NOT_REVOKED_TTL`, one second). Two kinds:

- a revoked id: a grant's `gid` (its refresh token family, RFC 6749 section 4.1.2 code replay,
  RFC 7009 revocation) or an SSO session's `sid` (logout). Every token carrying it is refused.
- a cutoff for a user, an application, or a user at one application: tokens issued at or before
  it are refused (their issue time, to the millisecond, is in `jti`: tokens/access.py). Tokens
  issued afterwards are not, so a reactivated user or application works again.

Every record lives `record_ttl` seconds: past the expiry of any access token it can refuse.
Refresh tokens and SSO sessions are rows; revoking them is an UPDATE, seen at once everywhere.
Each function takes an optional `tx` (`Database.transaction()`): the revocation is then written
with the change that caused it and that change's event, all or nothing.
"""
from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from authgate.accounts import usable
from authgate.config import Settings
from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.storage.transaction import Tx

log = logging.getLogger("authgate.revocation")

MIN_RECORD_TTL = 7 * 86400  # longer than any access token we issue by default
MAX_UPDATE_ATTEMPTS = 5  # compare-and-set retries when a user is edited concurrently
_KEYS = uuid.UUID("8f1f6a7e-4b53-4c1e-9d0a-5a7c1e0b2d11")  # namespace of the cutoff keys (uuid5)


def record_ttl(settings: Settings) -> int:
    """How long a revocation record is kept (seconds): past the expiry of any access token it
    refuses. Also how long the janitor keeps what a revocation may still need (retention.py)."""
    return max(settings.access_token_ttl_seconds, MIN_RECORD_TTL)


# Cutoff keys are name-based UUIDs (RFC 9562 section 5.5), so they fit the grant-id column and
# never equal a random grant id; derived once per id, as every validation asks.
@functools.lru_cache(maxsize=65536)
def user_key(user_id: str) -> str:
    return str(uuid.uuid5(_KEYS, f"user:{user_id}"))


@functools.lru_cache(maxsize=4096)
def application_key(app_id: str) -> str:
    return str(uuid.uuid5(_KEYS, f"application:{app_id}"))


@functools.lru_cache(maxsize=65536)
def registration_key(user_id: str, app_id: str) -> str:
    return str(uuid.uuid5(_KEYS, f"registration:{user_id}:{app_id}"))


# --- the check -------------------------------------------------------------------------------

async def refusal(reg: Registry, claims: dict[str, Any], issued_ms: int) -> str | None:
    """Why the access token with these (verified) claims is revoked, or None. `issued_ms`: when
    it was issued (tokens/access.issued_ms)."""
    gid, sid, sub, aud = claims.get("gid"), claims.get("sid"), claims.get("sub"), claims.get("applicationId")
    keys: list[str] = []
    if isinstance(gid, str):
        keys.append(gid)
    if isinstance(sid, str) and sid != gid:
        keys.append(sid)
    n_ids = len(keys)
    user_at = -1
    if isinstance(sub, str) and claims.get("authenticationType") != "CLIENT_CREDENTIALS":
        user_at = len(keys)
        keys.append(user_key(sub))
        if isinstance(aud, str):
            keys.append(registration_key(sub, aud))
    if isinstance(aud, str):
        keys.append(application_key(aud))
    if not keys:
        return None
    records = await reg.db.revoked_grants.lookup(tuple(keys))
    for i, instant in enumerate(records):
        if instant is None:
            continue
        if i < n_ids:
            return "grant revoked" if keys[i] == gid else "session ended"
        if issued_ms <= instant:
            if i == user_at and isinstance(sid, str) and (await reg.db.revoked_grants.lookup((kept_key(sid),)))[0] == instant:
                continue  # the session that cutoff kept (revoke_user_tokens' keep_session_id)
            return "tokens revoked (user, application or registration)"
    return None


@functools.lru_cache(maxsize=4096)
def kept_key(session_id: str) -> str:
    """Marks the SSO session a user cutoff spared: its `revoked_instant` equals that cutoff."""
    return str(uuid.uuid5(_KEYS, f"kept:{session_id}"))


# --- revoking --------------------------------------------------------------------------------

async def revoke_grant(reg: Registry, grant_id: str, *, tx: Tx | None = None) -> int:
    """A grant: its refresh token family and every access token carrying its `gid`. Returns how
    many refresh tokens were revoked."""
    count = await reg.db.refresh_tokens.revoke_family(grant_id, tx=tx)
    await reg.db.revoked_grants.revoke(grant_id, record_ttl(reg.settings), tx=tx)
    return count


async def revoke_refresh_token(reg: Registry, row: dict[str, Any], *, tx: Tx | None = None) -> int:
    """One refresh token (by its stored row): with it, its grant (the family and its access
    tokens), since the family's other tokens are spent or, when reusable, the same token."""
    await reg.db.refresh_tokens.revoke(row["id"], tx=tx)
    return await revoke_grant(reg, row["family_id"], tx=tx) + 1


async def end_session(reg: Registry, session_id: str, *, tx: Tx | None = None) -> int:
    """Logout: the SSO session, its refresh tokens, and the access tokens carrying its `sid`.
    Returns how many refresh tokens were revoked."""
    await reg.db.sso_sessions.revoke(session_id, tx=tx)
    count = await reg.db.refresh_tokens.revoke_for_session(session_id, tx=tx)
    await reg.db.revoked_grants.revoke(session_id, record_ttl(reg.settings), tx=tx)
    log.info("sso session %s ended, %d refresh tokens revoked", session_id, count)
    return count


async def forget_session(reg: Registry, session_id: str) -> None:
    """A new login in the same browser replaces its SSO session: the old one can no longer be
    reused (nor can its pending codes be redeemed), but tokens already issued from it live on."""
    await reg.db.sso_sessions.revoke(session_id)


async def revoke_user_tokens(reg: Registry, user_id: str, *, application_id: str | None = None,
                             keep_session_id: str | None = None, tx: Tx | None = None) -> int:
    """Everything a user holds: refresh tokens, SSO sessions and access tokens -- or, with
    `application_id`, only those for that application (SSO sessions span applications and stay).
    `keep_session_id`: that SSO session, its refresh tokens and its access tokens stay (the
    browser the user is acting from, e.g. after changing their password there).
    Returns how many refresh tokens were revoked."""
    ttl = record_ttl(reg.settings)
    if application_id is not None:
        count = await reg.db.refresh_tokens.revoke_for_user(user_id, application_id, keep_session_id=keep_session_id, tx=tx)
        await reg.db.revoked_grants.cut_off(registration_key(user_id, application_id), ttl, tx=tx)
        return count
    count = await reg.db.refresh_tokens.revoke_for_user(user_id, keep_session_id=keep_session_id, tx=tx)
    await reg.db.sso_sessions.revoke_for_user(user_id, keep_session_id=keep_session_id, tx=tx)
    cutoff = await reg.db.revoked_grants.cut_off(user_key(user_id), ttl, tx=tx)
    if keep_session_id is not None:
        await reg.db.revoked_grants.cut_off(kept_key(keep_session_id), ttl, at=cutoff, tx=tx)
    log.info("tokens of user %s revoked (%d refresh tokens)", user_id, count)
    return count


async def deactivate_user(reg: Registry, user_id: str, *, tx: Tx | None = None) -> bool:
    """FusionAuth's soft delete / lock (`active: false`): logins answer 423 and every token of
    the user stops working. False when there is no such user; `Conflict` when concurrent edits
    kept winning."""
    for _ in range(MAX_UPDATE_ATTEMPTS):
        row = await reg.db.users.get(user_id, tx)
        if row is None:
            return False
        if await reg.db.users.replace(user_id, {**row["doc"], "active": False}, None, row["version"], tx=tx):
            await revoke_user_tokens(reg, user_id, tx=tx)
            return True
    raise Conflict(f"user {user_id} kept changing")


async def delete_user(reg: Registry, user_id: str, *, tx: Tx | None = None) -> bool:
    """Hard delete: the row goes (registrations, refresh tokens and SSO sessions cascade) and its
    access tokens stop working. False when there is no such user."""
    if not await reg.db.users.delete(user_id, tx):
        return False
    await reg.db.revoked_grants.cut_off(user_key(user_id), record_ttl(reg.settings), tx=tx)
    return True


def _expiry(user: dict[str, Any]) -> int | None:
    expiry = user["doc"].get("expiry")
    return expiry if isinstance(expiry, int) and not isinstance(expiry, bool) else None


async def user_changed(reg: Registry, before: dict[str, Any], after: dict[str, Any], *, tx: Tx | None = None) -> None:
    """After an edit of a user: one that locks it (`active: false`), expires it, or moves its
    expiry earlier revokes its tokens (access tokens never outlive the expiry they were issued
    under: tokens/access.py)."""
    old, new = _expiry(before), _expiry(after)
    sooner = new is not None and (old is None or new < old)
    if (usable(before) and not usable(after)) or sooner:
        await revoke_user_tokens(reg, after["id"], tx=tx)


async def revoke_application(reg: Registry, app_id: str, *, tx: Tx | None = None) -> int:
    """An application deactivated or deleted: its refresh tokens, and every access token issued
    for it (users' and client-credentials') until now. Returns how many refresh tokens were revoked."""
    count = await reg.db.refresh_tokens.revoke_for_application(app_id, tx=tx)
    await reg.db.revoked_grants.cut_off(application_key(app_id), record_ttl(reg.settings), tx=tx)
    log.info("tokens of application %s revoked (%d refresh tokens)", app_id, count)
    return count
