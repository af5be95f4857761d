"""Self-service sign-up on the hosted page (FusionAuth's basic registration).

No enumeration: the page answers "check your email" whether or not the address has an account.
A new address gets an account (unverified, registered to the application with its default
roles) and a verification email; an address that has one gets an email saying so, with links
to log in and to reset the password. Both paths hash the password, run the account's
transaction (the known-address path with a decoy address, rolled back) and queue one email, so
they cost the same (CWE-204, CWE-208).

Only the form's fields are taken: email, password and the optional fields the application
enables. Roles, `verified`, ids, tenants or anything else a crafted POST adds are ignored.

An application whose `registrationConfiguration.loginIdType` is "username" asks for a username
instead of an email address (FusionAuth's choice): there is no address to confirm, so the account
is ready at once, and a username that is taken is refused beside the field -- the person must
pick another, so such a form cannot hide which usernames exist (FusionAuth's does not either).
"""
from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from authgate import events
from authgate.accounts import usable
from authgate.email_address import is_email
from authgate.lifecycle import Invalid, Refused, event_user, links
from authgate.lifecycle.app_settings import LABELS, registration_form
from authgate.lifecycle.change_password import check_new_password
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.storage.repos import Conflict
from authgate.storage.repos.action_ids import VERIFY
from authgate.storage.repos.users import normalize_login_id

if TYPE_CHECKING:
    from authgate.registry import Registry

log = logging.getLogger("authgate.lifecycle")
MAX_FIELD_CHARS = 255


def validate(reg: "Registry", app: dict[str, Any], email: Any, password: Any, confirm: Any,
             fields: dict[str, Any]) -> dict[str, Any]:
    """The user document the form describes, or Invalid with every field's problem. `email` is
    the login id the form asks for: a username when the application's loginIdType says so."""
    form = registration_form(app["doc"])
    errors: list[Refused] = []
    email = email.strip() if isinstance(email, str) else ""
    if form.login_id_type == "username":
        if not email:
            errors.append(Refused("username", "blank", "Choose a username."))
        elif len(email) > MAX_FIELD_CHARS:
            errors.append(Refused("username", "tooLong", "The username is too long."))
    elif not email:
        errors.append(Refused("email", "blank", "Enter your email address."))
    elif not is_email(email):
        errors.append(Refused("email", "invalid", "Enter a valid email address."))
    try:
        check_new_password(reg, password)
    except Refused as refused:
        errors.append(refused)
    doc: dict[str, Any] = {form.login_id_type: email}
    for name, required in form.fields:
        value = fields.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > MAX_FIELD_CHARS:
            errors.append(Refused(name, "tooLong", f"{LABELS[name]} is too long."))
        elif required and not value:
            errors.append(Refused(name, "blank", f"Enter your {LABELS[name].lower()}."))
        elif value:
            doc[name] = value
    if form.confirm_password and confirm != password:
        errors.append(Refused("passwordConfirm", "mismatch", "The two passwords differ."))
    if errors:
        raise Invalid(errors)
    return doc


class _Rehearsal(Exception):
    """Raised inside the rehearsed transaction so that nothing of it is stored."""


async def _write_account(reg: "Registry", app: dict[str, Any], doc: dict[str, Any], password_hash: str,
                         roles: list[str], verification: str | None, *, rehearse: bool = False) -> dict[str, Any]:
    """The new account's writes, in one transaction: user, registration, verification id (none
    for a username account: no address to confirm) and their two events stand or fall together.
    The known-address path runs the same block with a decoy address and rolls it back, so both
    paths do the same database work."""
    await reg.webhooks.all()  # warm the webhook list: nothing but our writes may await inside the transaction
    async with reg.db.transaction() as tx:
        user = await reg.db.users.add(tx, {**doc, "verified": False} if verification else doc, password_hash)
        await reg.db.registrations.add(tx, user["id"], app["id"], {"roles": roles})
        if verification:
            await reg.db.action_ids.add(tx, verification, VERIFY, user["id"], reg.settings.verification_id_ttl_seconds,
                                        application_id=app["id"], email=normalize_login_id(doc["email"]))
        await events.emit(reg, events.USER_CREATE, user_id=user["id"], application_id=app["id"],
                          payload=event_user(user), tx=tx)
        await events.emit(reg, events.USER_REGISTRATION_CREATE, user_id=user["id"], application_id=app["id"],
                          payload={"registration": {"applicationId": app["id"], "roles": roles}}, tx=tx)
        if rehearse:
            raise _Rehearsal  # nothing of the block is stored
    return user


async def sign_up(reg: "Registry", app: dict[str, Any], email: Any, password: Any, confirm: Any = None,
                  fields: dict[str, Any] | None = None) -> None:
    """Raises Invalid for a bad form; otherwise returns the same way for new and known addresses."""
    if not registration_form(app["doc"]).enabled:
        raise Invalid([Refused("registration", "disabled", "This application does not allow sign-up.")])
    doc = validate(reg, app, email, password, confirm, fields or {})
    password_hash = await reg.hasher.hash(password)
    roles = sorted({r["name"] for r in app["doc"].get("roles") or [] if isinstance(r, dict) and r.get("isDefault")})
    if "username" in doc:
        await _sign_up_with_username(reg, app, doc, password_hash, roles)
        return
    verification = secrets.token_urlsafe(32)
    ttl = reg.settings.verification_id_ttl_seconds
    existing = await reg.db.users.find_by_login_id(doc["email"])
    if existing is None:
        try:
            user = await _write_account(reg, app, doc, password_hash, roles, verification)
        except Conflict:  # the same address signed up a moment ago
            existing = await reg.db.users.find_by_login_id(doc["email"])
        else:
            await enqueue(reg, doc["email"], templates.VERIFY_EMAIL, app_name=app["name"], name=doc.get("firstName", ""),
                          email=doc["email"], link=links.verify_email(reg.issuer, verification, app["id"]),
                          valid_for=f"{ttl // 3600} hours" if ttl >= 7200 else f"{ttl // 60} minutes")
            log.info("user %s signed up to application %s", user["id"], app["id"])
            return
    try:  # the same writes, rolled back (CWE-208)
        await _write_account(reg, app, {**doc, "email": f"rehearsal-{verification[:16]}@sign-up.invalid"},
                             password_hash, roles, verification, rehearse=True)
    except _Rehearsal:
        pass
    if existing is not None and usable(existing):
        await enqueue(reg, existing["doc"].get("email") or doc["email"], templates.ALREADY_REGISTERED,
                      app_name=app["name"], email=doc["email"], login_link=links.app_home(app) or reg.issuer,
                      forgot_link=links.forgot_password(reg.issuer, app["id"]))
    log.info("sign-up with an address that has an account: told by email")


async def _sign_up_with_username(reg: "Registry", app: dict[str, Any], doc: dict[str, Any], password_hash: str,
                                 roles: list[str]) -> None:
    """A username account: ready at once; Invalid if the username is taken (as anyone's login id:
    a username equal to someone's email would make a login id ambiguous)."""
    taken = Invalid([Refused("username", "duplicate", "This username is taken; choose another.")])
    if await reg.db.users.find_by_login_id(doc["username"]) is not None:
        raise taken
    try:
        user = await _write_account(reg, app, doc, password_hash, roles, None)
    except Conflict:  # the same username signed up a moment ago
        raise taken from None
    log.info("user %s signed up to application %s with a username", user["id"], app["id"])
