"""Forgot password: a single-use link by email (FusionAuth's changePasswordId), valid
`AUTHGATE_CHANGE_PASSWORD_ID_TTL_SECONDS` (10 minutes), stored as a digest.

`request` is what the hosted page calls: it answers nothing, so the page says the same for an
address that has an account and one that has not; both paths render an email and make two
database writes (the unknown one never-sent outbox rows), so they also cost the same.
"""
from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from authgate import events
from authgate.accounts import usable
from authgate.lifecycle import Refused, event_user, links
from authgate.lifecycle.change_password import check_new_password, set_password
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.storage.db import digest
from authgate.storage.repos.action_ids import PASSWORD

if TYPE_CHECKING:
    from authgate.registry import Registry
    from authgate.storage.transaction import Tx

log = logging.getLogger("authgate.lifecycle")


def _valid_for(seconds: int) -> str:
    return f"{seconds // 60} minutes" if seconds < 7200 else f"{seconds // 3600} hours"


async def start(reg: "Registry", user: dict[str, Any], client_id: str | None, *, send_email: bool = True,
                app_name: str = "authgate") -> str:
    """A new changePasswordId for the user; emailed (the link) unless `send_email` is False."""
    value = secrets.token_urlsafe(32)
    ttl = reg.settings.change_password_id_ttl_seconds
    await reg.db.action_ids.create(value, PASSWORD, user["id"], ttl, application_id=client_id)
    email = user["doc"].get("email")
    if send_email and email:
        await enqueue(reg, email, templates.FORGOT_PASSWORD, app_name=app_name, name=user["doc"].get("firstName") or "",
                      email=email, link=links.change_password(reg.issuer, value, client_id), valid_for=_valid_for(ttl))
    return value


async def request(reg: "Registry", login_id: str, client_id: str | None, app_name: str = "authgate") -> None:
    """The hosted "Forgot password?" form: email a link if the account exists; same cost if not."""
    user = await reg.db.users.find_by_login_id(login_id)
    if user is not None and usable(user) and user["doc"].get("email"):
        await start(reg, user, client_id, app_name=app_name)
        return
    # Rehearse the other path (CWE-208): a new id and its digest, one render, two writes (in place
    # of the id and the message). tests/lifecycle/test_enumeration.py measures the two paths.
    value = secrets.token_urlsafe(32)
    digest(value)
    reg.mail_templates.render(templates.FORGOT_PASSWORD, issuer=reg.issuer, app_name=app_name, name="",
                              email=login_id, link=links.change_password(reg.issuer, value, client_id),
                              valid_for=_valid_for(reg.settings.change_password_id_ttl_seconds))
    for _ in range(2):
        await reg.db.outbox.add_suppressed(templates.FORGOT_PASSWORD)
    log.info("forgot-password for an unknown or unusable login id: no email")


async def find(reg: "Registry", change_password_id: Any) -> dict[str, Any] | None:
    """The live id's row (to show the form), or None."""
    if not isinstance(change_password_id, str) or not 20 <= len(change_password_id) <= 100:
        return None
    return await reg.db.action_ids.find_live(change_password_id, PASSWORD)


async def complete(reg: "Registry", change_password_id: Any, password: Any) -> dict[str, Any]:
    """Set the new password with the emailed id; the id is spent only if the password is accepted.
    Raises Refused("changePasswordId", "invalid") for an unknown, used or expired id."""
    row = await find(reg, change_password_id)
    if row is None:
        raise Refused("changePasswordId", "invalid", "This link is invalid, has expired or was already used.")
    check_new_password(reg, password)
    spent = await reg.db.action_ids.use(change_password_id, PASSWORD)  # atomic: one of two racers wins
    user = await reg.db.users.get(row["user_id"]) if spent else None
    if user is None:
        raise Refused("changePasswordId", "invalid", "This link is invalid, has expired or was already used.")

    async def reset_succeeded(tx: Tx, updated: dict[str, Any]) -> None:  # in the new password's transaction
        await events.emit(reg, events.USER_PASSWORD_RESET_SUCCESS, user_id=updated["id"],
                          application_id=row["application_id"], payload=event_user(updated), tx=tx)

    return await set_password(reg, user, password, mark_verified=True, client_id=row["application_id"],
                              then=reset_succeeded)
