"""FusionAuth Registration API: a user's membership of an application, with roles.

`POST /api/user/registration` with a `user` object creates the user and the registration together
(FusionAuth's combined create); if the registration cannot be stored the new user is removed.
Registrations have no version column, so PATCH here is last-writer-wins.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import events, revocation
from authgate.errors import field_error, not_found
from authgate.fusionauth._admin import Errors, merge_patch, object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.fusionauth.present import registration_json, user_json
from authgate.fusionauth.users import USER, create_user
from authgate.lifecycle.app_settings import verify_email
from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.shapes import Body, ListOf, Shape
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])
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


# `_validate` reports the registration's wrong types with its other problems (collected); the
# combined create may carry a new user.
CREATE = Body(REGISTRATION, P, extra={"user": USER, "skipVerification": bool}, collected=True)
UPDATE = Body(REGISTRATION, P, collected=True)


async def _load(reg: Registry, user_id: str, app_id: str) -> dict[str, Any]:
    row = await reg.db.registrations.get(user_id, app_id)
    if row is None:
        raise not_found("registration")
    return row


@router.post("/api/user/registration")
@router.post("/api/user/registration/{user_id:uuid}")
@declares(CREATE)
async def register(request: Request, user_id: uuid.UUID | None = None) -> Response:
    reg = registry(request)
    body = await read_body(request)
    registration = object_field(body, P)
    user_obj = body.get("user")
    if user_obj is not None and not isinstance(user_obj, dict):
        raise field_error("user", "invalid", "The [user] field must be an object.")
    uid = str(user_id) if user_id else None
    if user_obj is None and uid is None:
        raise field_error("userId", "blank", "Specify the user id in the URL, or a [user] object to create one.")
    user, row = await register_user(reg, registration, uid, user_obj,
                                    skip_verification=body.get("skipVerification") is True)
    regs = await reg.db.registrations.for_user(user["id"])
    return JSONResponse({"user": user_json(user, regs), "registration": registration_json(row)})


async def register_user(reg: Registry, registration: dict[str, Any], uid: str | None,
                        user_obj: dict[str, Any] | None, *, skip_verification: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register user `uid`, or create `user_obj` and register it; returns (user, registration).
    The API's POST and the admin console's "add registration" form."""
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


@router.get("/api/user/registration/{user_id:uuid}/{app_id:uuid}")
async def retrieve(request: Request, user_id: uuid.UUID, app_id: uuid.UUID) -> Response:
    row = await _load(registry(request), str(user_id), str(app_id))
    return JSONResponse({"registration": registration_json(row)})


async def _update(request: Request, user_id: str, app_id: str, patch: bool) -> Response:
    registration = object_field(await read_body(request), P)
    updated = await update_registration(registry(request), user_id, app_id, registration, patch=patch)
    return JSONResponse({"registration": registration_json(updated)})


async def update_registration(reg: Registry, user_id: str, app_id: str, registration: dict[str, Any], *,
                              patch: bool) -> dict[str, Any]:
    """PUT/PATCH of a registration (roles, username, data); the admin console's role editor too."""
    row = await _load(reg, user_id, app_id)
    incoming = merge_patch(row["doc"], registration) if patch else registration
    if incoming.get("applicationId") not in (None, app_id):
        raise field_error(f"{P}.applicationId", "invalid", "A registration cannot move to another application.")
    errors = Errors()
    _, doc = await _validate(reg, incoming, errors, app_id)
    errors.raise_if_any()
    if not await reg.db.registrations.update_doc(user_id, app_id, doc):
        raise not_found("registration")
    updated = await _load(reg, user_id, app_id)
    await events.emit(reg, events.USER_REGISTRATION_UPDATE, user_id=user_id, application_id=app_id,
                      payload={"registration": registration_json(updated), "original": registration_json(row)})
    return updated


@router.put("/api/user/registration/{user_id:uuid}/{app_id:uuid}")
@declares(UPDATE)
async def replace(request: Request, user_id: uuid.UUID, app_id: uuid.UUID) -> Response:
    return await _update(request, str(user_id), str(app_id), patch=False)


@router.patch("/api/user/registration/{user_id:uuid}/{app_id:uuid}")
@declares(UPDATE)
async def patch(request: Request, user_id: uuid.UUID, app_id: uuid.UUID) -> Response:
    return await _update(request, str(user_id), str(app_id), patch=True)


@router.delete("/api/user/registration/{user_id:uuid}/{app_id:uuid}")
async def delete(request: Request, user_id: uuid.UUID, app_id: uuid.UUID) -> Response:
    """Unregistering also revokes the user's tokens for that application."""
    await delete_registration(registry(request), str(user_id), str(app_id))
    return Response(status_code=200)


async def delete_registration(reg: Registry, user_id: str, app_id: str) -> None:
    if not await reg.db.registrations.delete(user_id, app_id):
        raise not_found("registration")
    await revocation.revoke_user_tokens(reg, user_id, application_id=app_id)
    await events.emit(reg, events.USER_REGISTRATION_DELETE, user_id=user_id, application_id=app_id)

