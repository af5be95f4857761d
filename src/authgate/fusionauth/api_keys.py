"""FusionAuth API Key API: create, list, retrieve and delete the keys that guard /api/*.

Only a digest of each key is stored, so its value is returned once, in the create response (the
rules are authgate/api_keys.py's). Managing keys needs a superuser key (one without endpoint
limits): a limited key must not be able to mint itself a broader one, nor delete the keys others
depend on.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.api_keys import API_KEY, create_api_key, delete_api_key
from authgate.errors import ApiError, not_found
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.present import api_key_json
from authgate.shapes import Body
from authgate.web.bodies import declares, read_body


async def require_superuser(row: dict[str, Any] = Depends(require_api_key)) -> dict[str, Any]:
    if (row["doc"].get("permissions") or {}).get("endpoints"):
        raise ApiError(401, general_errors=[{"code": "[Unauthorized]",
                                             "message": "Only a superuser API key may manage API keys."}])
    return row


router = APIRouter(dependencies=[Depends(require_superuser)])


@router.post("/api/api-key")
@router.post("/api/api-key/{key_id:uuid}")
@declares(Body(API_KEY, "apiKey", collected=True))  # create_api_key reports wrong types with the rest
async def create(request: Request, key_id: uuid.UUID | None = None) -> Response:
    api_key = object_field(await read_body(request), "apiKey")
    row, value = await create_api_key(registry(request), api_key, str(key_id) if key_id else None)
    return JSONResponse({"apiKey": api_key_json(row, value)})


@router.get("/api/api-key")
async def list_keys(request: Request) -> Response:
    rows = await registry(request).db.api_keys.list()
    return JSONResponse({"apiKeys": [api_key_json(r) for r in rows]})


@router.get("/api/api-key/{key_id:uuid}")
async def retrieve(request: Request, key_id: uuid.UUID) -> Response:
    row = await registry(request).db.api_keys.get(str(key_id))
    if row is None:
        raise not_found("API key")
    return JSONResponse({"apiKey": api_key_json(row)})


@router.delete("/api/api-key/{key_id:uuid}")
async def delete(request: Request, key_id: uuid.UUID) -> Response:
    await delete_api_key(registry(request), str(key_id))
    return Response(status_code=200)
