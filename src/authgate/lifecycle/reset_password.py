"""Forgot password: a single-use link by email (FusionAuth's changePasswordId), valid
`AUTHGATE_CHANGE_PASSWORD_ID_TTL_SECONDS` (10 minutes), stored as a digest.

`request` is what the hosted page calls. It does not look the address up: it queues a job
(`REQUEST`, one outbox row holding what was typed) and returns, so the request does the same work,
in the same statements, for an address with an account and one without -- nothing to measure
(CWE-204, CWE-208; tests/lifecycle/test_enumeration.py). The mail sender runs the job (`resolve`)
moments later: it finds the account and, if there is one, makes the id and queues the email.
"""
from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from authgate import events
from authgate.accounts import usable
from authgate.clock import clock
from authgate.lifecycle import Refused, event_user, links
from authgate.lifecycle.change_password import check_new_password, set_password
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.mail.sender import JOB_PREFIX
from authgate.storage.repos.action_ids import PASSWORD

if TYPE_CHECKING:
    from authgate.registry import Registry

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


REQUEST = JOB_PREFIX + "forgot-password"  # the outbox row's `template`: a job for the sender, never mailed


async def request(reg: "Registry", login_id: str, client_id: str | None, app_name: str = "authgate") -> None:
    """The hosted "Forgot password?" form: queue the job that emails a link if the account exists.
    The same write whatever `login_id` is."""
    await reg.db.outbox.add(login_id, "", json.dumps({"clientId": client_id, "appName": app_name}), None, REQUEST)
    reg.mail.wake()


async def resolve(reg: "Registry", row: dict[str, Any]) -> None:
    """The job `request` queued, run by the mail sender: a link for the account, if there is one."""
    params = json.loads(row["body_text"] or "{}")
    if clock.now_ms() - row["insert_instant"] > reg.settings.change_password_id_ttl_seconds * 1000:
        log.info("forgot-password request older than a reset link's lifetime (no mail server then?): dropped")
        return
    user = await reg.db.users.find_by_login_id(row["recipient"])
    if user is None or not usable(user) or not user["doc"].get("email"):
        log.info("forgot-password for an unknown or unusable login id: no email")
        return
    await start(reg, user, params.get("clientId"), app_name=params.get("appName") or "authgate")


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
    user = await set_password(reg, user, password, mark_verified=True, client_id=row["application_id"])
    await events.emit(reg, events.USER_PASSWORD_RESET_SUCCESS, user_id=user["id"], application_id=row["application_id"],
                      payload=event_user(user))
    return user
