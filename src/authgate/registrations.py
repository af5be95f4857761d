"""Registrations: a user's membership of an application, with roles -- registering (or creating
and registering, FusionAuth's combined create), changing roles, unregistering. The rules and
events of the FusionAuth Registration API and the admin console.

Registrations have no version column, so an update is last-writer-wins.
"""
from __future__ import annotations

from typing import Any

from authgate import events, revocation
from authgate.errors import field_error, not_found
from authgate.field_errors import Errors
from authgate.lifecycle.app_settings import verify_email
from authgate.merge_patch import merge_patch
from authgate.present import registration_json
from authgate.registry import Registry
from authgate.shapes import ListOf, Shape
from authgate.storage.repos import Conflict
from authgate.users import create_user

P = "registration"
REGISTRATION = Shape({"applicationId": str, "roles": ListOf(str), "username": str, "data": dict},
                     description="A user's registration to an application, with roles.")


async def _validate(reg: Registry, registration: dict[str, Any], errors: Errors,
                    app_id: str | None = None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Check a registration object; returns (application row, document to store)."""
    app = None
    app_id = app_id or errors.typed(registration, "applicationId", str, P)
    if not app_id:
        if f"{P}.applicationId" not in errors.fields:
            errors.add(f"{P}.applicationId", "blank", "You must specify the [applicationId] field.")
    else:
        app = await reg.db.applications.get(app_id) if len(app_id) <= 36 else None
        if app is None:
            errors.add(f"{P}.applicationId", "invalid", "The [applicationId] does not identify an application.")
    errors.extend(REGISTRATION.problems(registration, P))
    roles = registration.get("roles") if f"{P}.roles" not in errors.fields else None
    if roles is not None and not all(isinstance(r, str) for r in roles):
        errors.add(f"{P}.roles", "invalid", "[roles] must be a list of role names.")
        roles = None
    declared = (app["doc"].get("roles") or []) if app else []
    if roles and declared and not set(roles) <= {r.get("name") for r in declared}:
        errors.add(f"{P}.roles", "invalid", "Every role must be one of the application's roles.")
    doc = {k: v for k, v in registration.items() if k not in ("id", "applicationId", "insertInstant", "lastUpdateInstant")}
    if not roles:  # FusionAuth gives the application's default roles to a registration without roles
        roles = [r["name"] for r in declared if r.get("isDefault")]
    doc["roles"] = sorted(set(roles))
    return app, doc


async def load(reg: Registry, user_id: str, app_id: str) -> dict[str, Any]:
    row = await reg.db.registrations.get(user_id, app_id)
    if row is None:
        raise not_found("registration")
    return row


async def register_user(reg: Registry, registration: dict[str, Any], uid: str | None,
                        user_obj: dict[str, Any] | None, *, skip_verification: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register user `uid`, or create `user_obj` and register it; returns (user, registration).
    The API's POST and the admin console's "add registration" form. If the registration cannot
    be stored, a user created for it is removed again."""
    errors = Errors()
    app, doc = await _validate(reg, registration, errors)
    if user_obj is None:
        assert uid is not None
        user = await reg.db.users.get(uid)
        if user is None:
            raise not_found("user")
        if app is not None and await reg.db.registrations.get(uid, app["id"]) is not None:
            errors.add(f"{P}.applicationId", "duplicate", "The user is already registered to this application.")
        errors.raise_if_any()
    else:
        if errors:  # report the registration's problems before touching storage
            errors.raise_if_any()
        user = await create_user(reg, user_obj, uid, errors, app=app,
                                 verify=not skip_verification and app is not None and verify_email(app["doc"], reg.settings))
    assert app is not None
    try:
        row = await reg.db.registrations.create(user["id"], app["id"], doc)
    except Conflict:  # a concurrent request registered it first, or the application was just deleted
        if user_obj is not None:
            await reg.db.users.delete(user["id"])
        raise field_error(f"{P}.applicationId", "duplicate", "The user is already registered to this application.") from None
    await events.emit(reg, events.USER_REGISTRATION_CREATE, user_id=user["id"], application_id=app["id"],
                      payload={"registration": registration_json(row)})
    return user, row


async def update_registration(reg: Registry, user_id: str, app_id: str, registration: dict[str, Any], *,
                              patch: bool) -> dict[str, Any]:
    """PUT/PATCH of a registration (roles, username, data); the admin console's role editor too."""
    row = await load(reg, user_id, app_id)
    incoming = merge_patch(row["doc"], registration) if patch else registration
    if incoming.get("applicationId") not in (None, app_id):
        raise field_error(f"{P}.applicationId", "invalid", "A registration cannot move to another application.")
    errors = Errors()
    _, doc = await _validate(reg, incoming, errors, app_id)
    errors.raise_if_any()
    if not await reg.db.registrations.update_doc(user_id, app_id, doc):
        raise not_found("registration")
    updated = await load(reg, user_id, app_id)
    await events.emit(reg, events.USER_REGISTRATION_UPDATE, user_id=user_id, application_id=app_id,
                      payload={"registration": registration_json(updated), "original": registration_json(row)})
    return updated


async def delete_registration(reg: Registry, user_id: str, app_id: str) -> None:
    if not await reg.db.registrations.delete(user_id, app_id):
        raise not_found("registration")
    await revocation.revoke_user_tokens(reg, user_id, application_id=app_id)
    await events.emit(reg, events.USER_REGISTRATION_DELETE, user_id=user_id, application_id=app_id)

