"""Users: create, change, deactivate and delete -- the rules and the events of every way in (the
FusionAuth User API, the admin console, the CLI). Adapters parse the request and render the
answer; a refusal is an `ApiError` in FusionAuth's field-error shape, which each adapter shows
its own way (JSON, or beside the field of a console form).
"""
from __future__ import annotations

from typing import Any

from authgate import events, password_policy, revocation
from authgate.clock import clock
from authgate.config import Settings
from authgate.email_address import is_email
from authgate.errors import MAX_UPDATE_ATTEMPTS, ApiError, conflict, not_found
from authgate.field_errors import Errors
from authgate.lifecycle import verify_email
from authgate.merge_patch import merge_patch
from authgate.present import user_json
from authgate.registry import Registry
from authgate.shapes import Shape
from authgate.storage.repos import Conflict

_TYPES: dict[str, type | tuple[type, ...]] = {
    **{k: str for k in ("email", "username", "password", "firstName", "lastName", "middleName", "fullName",
                        "mobilePhone", "imageUrl", "timezone", "birthDate", "parentEmail", "tenantId")},
    **{k: bool for k in ("active", "verified", "passwordChangeRequired")},
    "expiry": int, "data": dict, "preferredLanguages": list,
}
USER = Shape(_TYPES, description="A FusionAuth User; the password is hashed and never returned.")
# Kept by the server, never taken from a request body.
_SERVER_FIELDS = ("id", "insertInstant", "lastUpdateInstant", "registrations", "lastLoginInstant",
                  "passwordLastUpdateInstant", "encryptionScheme", "factor", "salt", "password")


def check_password(settings: Settings, password: Any, errors: Errors, prefix: str = "user") -> None:
    """The password rules (authgate/password_policy.py) on a plain-text password being set."""
    if isinstance(password, str):
        violation = password_policy.check(password, settings)
        if violation is not None:
            errors.add(f"{prefix}.password", violation.code, violation.message)


def validate_user(user: dict[str, Any], errors: Errors, prefix: str = "user", *, password_required: bool) -> dict[str, Any]:
    """Check a FusionAuth user object; returns the document to store (without the password).
    The password's rules are `check_password`'s (the import takes hashes, which they do not fit)."""
    errors.extend(USER.problems(user, prefix))
    email, username, password = user.get("email"), user.get("username"), user.get("password")
    if not (isinstance(email, str) and email.strip()) and not (isinstance(username, str) and username.strip()):
        errors.add(f"{prefix}.email", "blank", "You must specify either the [email] or [username] field.")
        errors.add(f"{prefix}.username", "blank", "You must specify either the [email] or [username] field.")
    elif isinstance(email, str) and email.strip() and not is_email(email.strip()):
        errors.add(f"{prefix}.email", "invalid", "The [email] is not a valid email address.")
    if isinstance(username, str) and len(username) > 320:
        errors.add(f"{prefix}.username", "tooLong", "The [username] is longer than 320 characters.")
    if password is None and password_required:
        errors.add(f"{prefix}.password", "blank", "You must specify the [password] field.")
    doc = {k: v for k, v in user.items() if k not in _SERVER_FIELDS}
    for key in ("email", "username"):
        if isinstance(doc.get(key), str):
            doc[key] = doc[key].strip() or None
    return doc


async def check_unique(reg: Registry, doc: dict[str, Any], errors: Errors, prefix: str = "user",
                       own_id: str | None = None) -> None:
    # Login ids are looked up in both columns, so a value must be unique across both: a username
    # equal to someone's email would make `loginId` ambiguous.
    for key in ("email", "username"):
        value = doc.get(key)
        if isinstance(value, str) and value:
            other = await reg.db.users.find_by_login_id(value)
            if other is not None and other["id"] != own_id:
                errors.add(f"{prefix}.{key}", "duplicate", f"A user with this [{key}] already exists.")


async def _conflict_error(reg: Registry, doc: dict[str, Any], own_id: str | None, prefix: str = "user") -> ApiError:
    """Name the field a unique constraint refused (a concurrent request took it after our check)."""
    errors = Errors()
    await check_unique(reg, doc, errors, prefix, own_id)
    if not errors:
        errors.add("userId", "duplicate", "A user with this id already exists.")
    return ApiError(400, field_errors=errors.fields)


async def create_user(reg: Registry, user: dict[str, Any], user_id: str | None, errors: Errors, *,
                      verify: bool = False, app: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate and store a new user (POST /api/user, the combined registration, the console, the CLI).
    `verify`: email verification is on and the request did not say `skipVerification`: unless
    the request set `verified: true`, the user starts unverified and is sent a verification email
    (FusionAuth's behaviour with `emailConfiguration.verifyEmail`)."""
    doc = validate_user(user, errors, password_required=True)
    check_password(reg.settings, user.get("password"), errors)
    if not errors:
        await check_unique(reg, doc, errors)
    if user_id and await reg.db.users.get(user_id) is not None:
        errors.add("userId", "duplicate", "A user with this id already exists.")
    errors.raise_if_any()
    doc["passwordLastUpdateInstant"] = clock.now_ms()
    start_verification = verify and bool(doc.get("email")) and doc.get("verified") is not True
    if start_verification:
        doc["verified"] = False
    password_hash = await reg.hasher.hash(user["password"])
    await reg.webhooks.all()  # warm the webhook list: nothing but our writes may await inside the transaction
    try:
        async with reg.db.transaction() as tx:  # the user and its user.create event stand or fall together
            row = await reg.db.users.add(tx, doc, password_hash, user_id)
            await events.emit(reg, events.USER_CREATE, user_id=row["id"], payload={"user": user_json(row)}, tx=tx)
    except Conflict:
        raise await _conflict_error(reg, doc, None) from None
    if start_verification:
        await verify_email.start(reg, row, app["id"] if app else None, app_name=app["name"] if app else "authgate")
    return row


async def load(reg: Registry, user_id: str) -> dict[str, Any]:
    row = await reg.db.users.get(user_id)
    if row is None:
        raise not_found("user")
    return row


async def update_user(reg: Registry, user_id: str, user: dict[str, Any], patch: bool) -> dict[str, Any]:
    """Replace the user (`patch=False`: the API's PUT) or merge into it (PATCH, the console's
    form); both compare-and-set on `version` and retry."""
    password = user.get("password")
    for _ in range(MAX_UPDATE_ATTEMPTS):
        row = await load(reg, user_id)
        current = row["doc"]
        incoming = merge_patch(current, user) if patch else user
        errors = Errors()
        doc = validate_user(incoming, errors, password_required=False)
        check_password(reg.settings, password, errors)
        if not errors:
            await check_unique(reg, doc, errors, own_id=user_id)
        errors.raise_if_any()
        # Server-kept fields survive a replace; a PUT that omits `active` must not re-enable a
        # deactivated user (that takes `?reactivate=true`, as in FusionAuth).
        for key in ("lastLoginInstant", "passwordLastUpdateInstant"):
            if key in current:
                doc[key] = current[key]
        doc.setdefault("active", row["active"])
        password_hash = None
        if isinstance(password, str):
            password_hash = await reg.hasher.hash(password)
            doc["passwordLastUpdateInstant"] = clock.now_ms()
        try:
            done = await reg.db.users.replace(user_id, doc, password_hash, row["version"])
        except Conflict:
            raise await _conflict_error(reg, doc, user_id) from None
        if done:
            updated = await load(reg, user_id)
            await revocation.user_changed(reg, row, updated)  # locked or expired: its tokens stop working
            await _emit_update(reg, row, updated, password_changed=password_hash is not None)
            return updated
    raise conflict()


async def _emit_update(reg: Registry, before: dict[str, Any], after: dict[str, Any], *, password_changed: bool) -> None:
    payload = {"user": user_json(after), "original": user_json(before)}
    if not before["active"] and after["active"]:
        await events.emit(reg, events.USER_REACTIVATE, user_id=after["id"], payload=payload)
    await events.emit(reg, events.USER_UPDATE, user_id=after["id"], payload=payload)
    if password_changed:
        await events.emit(reg, events.USER_PASSWORD_UPDATE, user_id=after["id"], payload={"user": user_json(after)})


async def delete_user(reg: Registry, uid: str, *, hard: bool) -> None:
    """Remove (hard) or deactivate a user (the API's DELETE, the console, the CLI)."""
    row = await load(reg, uid)
    try:
        found = await (revocation.delete_user if hard else revocation.deactivate_user)(reg, uid)
    except Conflict:
        raise conflict() from None
    if not found:
        raise not_found("user")
    await events.emit(reg, events.USER_DELETE if hard else events.USER_DEACTIVATE, user_id=uid,
                      payload={"user": user_json(row)})
