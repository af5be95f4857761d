"""Email verification (FusionAuth's verificationId): a single-use link by email, valid
`AUTHGATE_VERIFICATION_ID_TTL_SECONDS`, stored as a digest and bound to the address it was
sent to (a link for an old address does not verify a new one)."""
from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from authgate import events
from authgate.lifecycle import Refused, event_user, links
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.storage.repos.action_ids import VERIFY
from authgate.storage.repos.users import normalize_login_id

if TYPE_CHECKING:
    from authgate.registry import Registry

log = logging.getLogger("authgate.lifecycle")
MAX_ATTEMPTS = 5


async def start(reg: "Registry", user: dict[str, Any], client_id: str | None, *, send_email: bool = True,
                app_name: str = "authgate") -> str:
    """A new verificationId for the user's current email, emailed unless `send_email` is False."""
    email = user["doc"].get("email")
    if not email:
        raise Refused("email", "missing", "The user has no email address to verify.")
    value = secrets.token_urlsafe(32)
    ttl = reg.settings.verification_id_ttl_seconds
    await reg.db.action_ids.create(value, VERIFY, user["id"], ttl, application_id=client_id,
                                   email=normalize_login_id(email))
    if send_email:
        await enqueue(reg, email, templates.VERIFY_EMAIL, app_name=app_name, name=user["doc"].get("firstName") or "",
                      email=email, link=links.verify_email(reg.issuer, value, client_id),
                      valid_for=f"{ttl // 3600} hours" if ttl >= 7200 else f"{ttl // 60} minutes")
    return value


async def find(reg: "Registry", verification_id: Any) -> dict[str, Any] | None:
    if not isinstance(verification_id, str) or not 20 <= len(verification_id) <= 100:
        return None
    return await reg.db.action_ids.find_live(verification_id, VERIFY)


async def complete(reg: "Registry", verification_id: Any) -> dict[str, Any]:
    """Spend the id and mark the user verified; Refused("verificationId", "invalid") otherwise."""
    refused = Refused("verificationId", "invalid", "This link is invalid, has expired or was already used.")
    if await find(reg, verification_id) is None:
        raise refused
    row = await reg.db.action_ids.use(verification_id, VERIFY)
    user = await reg.db.users.get(row["user_id"]) if row else None
    if row is None or user is None or normalize_login_id(user["doc"].get("email")) != row["email"]:
        raise refused
    fresh = None
    for _ in range(MAX_ATTEMPTS):
        async with events.recorded(reg) as tx:  # the verified flag and its event: one transaction
            if await reg.db.users.replace(user["id"], {**user["doc"], "verified": True}, None, user["version"], tx=tx):
                fresh = await reg.db.users.get(user["id"], tx)
                assert fresh is not None
                await events.emit(reg, events.USER_EMAIL_VERIFIED, user_id=fresh["id"],
                                  application_id=row["application_id"], payload=event_user(fresh), tx=tx)
        if fresh is not None:
            break
        user = await reg.db.users.get(row["user_id"])
        if user is None:
            raise refused
    else:
        raise Refused("user", "ConcurrentModification", "The user was modified by another request; retry.")
    log.info("user %s verified their email", fresh["id"])
    return fresh
