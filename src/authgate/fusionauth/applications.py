"""FusionAuth Application API: applications are also the OAuth clients (client_id == id).

Validation and authgate's defaults are authgate/applications.py's. When the implicit grant is
listed, responses carry a `warnings` entry because it exposes tokens to page JavaScript.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.applications import (
    APPLICATION, P, ROLE, add_role, create_application, delete_application, load, update_application,
)
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.merge_patch import merge_patch
from authgate.present import application_json
from authgate.shapes import Body
from authgate.web.bodies import declares, read_body
from authgate.web.context import origins

router = APIRouter(dependencies=[Depends(require_api_key)])
IMPLICIT_WARNING = {"code": "[insecure]implicit",
                    "message": "The implicit grant exposes tokens to page JavaScript and browser history; "
                               "prefer authorization_code with PKCE."}


def _respond(row: dict[str, Any], status: int = 200) -> Response:
    body: dict[str, Any] = {"application": application_json(row)}
    if "implicit" in (row["doc"]["oauthConfiguration"].get("enabledGrants") or []):
        body["warnings"] = [IMPLICIT_WARNING]
    return JSONResponse(body, status_code=status)


_BODY = Body(APPLICATION, P, collected=True)  # the validator reports wrong types with everything else


@router.post("/api/application")
@router.post("/api/application/{app_id:uuid}")
@declares(_BODY)
async def create(request: Request, app_id: uuid.UUID | None = None) -> Response:
    app = object_field(await read_body(request), P)
    return _respond(await create_application(registry(request), app, str(app_id) if app_id else None, origins(request)))


@router.get("/api/application")
async def list_all(request: Request, inactive: bool = False) -> Response:
    rows = await registry(request).db.applications.list()
    return JSONResponse({"applications": [application_json(r) for r in rows if r["active"] != inactive]})


@router.get("/api/application/{app_id:uuid}")
async def retrieve(request: Request, app_id: uuid.UUID) -> Response:
    return _respond(await load(registry(request), str(app_id)))


@router.put("/api/application/{app_id:uuid}")
@declares(_BODY)
async def replace(request: Request, app_id: uuid.UUID, reactivate: bool = False) -> Response:
    reg = registry(request)
    if reactivate:  # FusionAuth: PUT ?reactivate=true with no body brings a soft-deleted application back
        return _respond(await update_application(reg, str(app_id), lambda doc: {**doc, "active": True}, origins(request)))
    app = object_field(await read_body(request), P)
    return _respond(await update_application(reg, str(app_id), lambda _doc: app, origins(request)))


@router.patch("/api/application/{app_id:uuid}")
@declares(_BODY)
async def patch(request: Request, app_id: uuid.UUID) -> Response:
    app = object_field(await read_body(request), P)
    return _respond(await update_application(registry(request), str(app_id), lambda doc: merge_patch(doc, app),
                                             origins(request)))


@router.delete("/api/application/{app_id:uuid}")
async def delete(request: Request, app_id: uuid.UUID, hardDelete: bool = False) -> Response:
    """hardDelete removes it (registrations and refresh tokens cascade); otherwise it is deactivated
    (FusionAuth's soft delete): logins and refreshes for it are refused until reactivated."""
    await delete_application(registry(request), str(app_id), hard=hardDelete, origins=origins(request))
    return Response(status_code=200)


@router.post("/api/application/{app_id:uuid}/role")
@declares(Body(ROLE, "role"))
async def create_role(request: Request, app_id: uuid.UUID) -> Response:
    role = object_field(await read_body(request), "role")
    return JSONResponse({"role": await add_role(registry(request), str(app_id), role, origins(request))})
