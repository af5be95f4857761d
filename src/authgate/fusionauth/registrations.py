"""FusionAuth Registration API: a user's membership of an application, with roles.

`POST /api/user/registration` with a `user` object creates the user and the registration together
(FusionAuth's combined create). The rules are authgate/registrations.py's.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.errors import field_error
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.present import registration_json, user_json
from authgate.registrations import P, REGISTRATION, delete_registration, load, register_user, update_registration
from authgate.shapes import Body
from authgate.users import USER
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])
# The rules report the registration's wrong types with its other problems (collected); the
# combined create may carry a new user.
CREATE = Body(REGISTRATION, P, extra={"user": USER, "skipVerification": bool}, collected=True)
UPDATE = Body(REGISTRATION, P, collected=True)


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


@router.get("/api/user/registration/{user_id:uuid}/{app_id:uuid}")
async def retrieve(request: Request, user_id: uuid.UUID, app_id: uuid.UUID) -> Response:
    row = await load(registry(request), str(user_id), str(app_id))
    return JSONResponse({"registration": registration_json(row)})


async def _update(request: Request, user_id: str, app_id: str, patch: bool) -> Response:
    registration = object_field(await read_body(request), P)
    updated = await update_registration(registry(request), user_id, app_id, registration, patch=patch)
    return JSONResponse({"registration": registration_json(updated)})


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
