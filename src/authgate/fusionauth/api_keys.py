"""FusionAuth API Key API: create, list, retrieve and delete the keys that guard /api/*.

Only a digest of each key is stored, so its value is returned once, in the create response.
Managing keys needs a superuser key (one without endpoint limits): a limited key must not be
able to mint itself a broader one, nor delete the keys others depend on.
"""
from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import events
from authgate.errors import ApiError, field_error, not_found
from authgate.fusionauth._admin import Errors, object_field
from authgate.fusionauth.auth import ENDPOINTS, registry, require_api_key
from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.shapes import Body, Shape
from authgate.web.bodies import declares, read_body

MIN_KEY, MAX_KEY = 32, 256  # the digest is a plain SHA-256, so a key must carry its own entropy
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def require_superuser(row: dict[str, Any] = Depends(require_api_key)) -> dict[str, Any]:
    if (row["doc"].get("permissions") or {}).get("endpoints"):
        raise ApiError(401, general_errors=[{"code": "[Unauthorized]",
                                             "message": "Only a superuser API key may manage API keys."}])
    return row


router = APIRouter(dependencies=[Depends(require_superuser)])


API_KEY = Shape({"key": str, "permissions": Shape({"endpoints": dict}), "metaData": dict},
                description="An API key; `key` is generated when absent and shown only in this answer.")


def api_key_json(row: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    doc = row["doc"]
    out = {"id": row["id"], "permissions": doc.get("permissions") or {"endpoints": {}},
           "metaData": doc.get("metaData") or {}, "insertInstant": row["insert_instant"]}
    if key is not None:
        out["key"] = key
    return out


def _validate(api_key: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    errors.extend(API_KEY.problems(api_key, "apiKey"))
    key = api_key.get("key") if "apiKey.key" not in errors.fields else None
    if isinstance(key, str) and len(key) < MIN_KEY:
        errors.add("apiKey.key", "tooShort", f"The [key] must be at least {MIN_KEY} characters.")
    elif isinstance(key, str) and (len(key) > MAX_KEY or key != key.strip() or " " in key):
        errors.add("apiKey.key", "invalid", f"The [key] must be at most {MAX_KEY} characters without spaces.")
    permissions = api_key.get("permissions") if "apiKey.permissions" not in errors.fields else None
    permissions = permissions or {}
    endpoints = permissions.get("endpoints") if "apiKey.permissions.endpoints" not in errors.fields else None
    endpoints = endpoints or {}
    for path, methods in endpoints.items():
        if path not in ENDPOINTS or not isinstance(methods, list) or not all(m in METHODS for m in methods):
            errors.add("apiKey.permissions.endpoints", "invalid",
                       f"Endpoints must be among {', '.join(ENDPOINTS)}, each with methods among {', '.join(METHODS)}.")
            break
    errors.raise_if_any()
    return {"permissions": {"endpoints": endpoints}, "metaData": api_key.get("metaData") or {}}


@router.post("/api/api-key")
@router.post("/api/api-key/{key_id:uuid}")
@declares(Body(API_KEY, "apiKey", collected=True))  # create_api_key reports wrong types with the rest
async def create(request: Request, key_id: uuid.UUID | None = None) -> Response:
    api_key = object_field(await read_body(request), "apiKey")
    row, value = await create_api_key(registry(request), api_key, str(key_id) if key_id else None)
    return JSONResponse({"apiKey": api_key_json(row, value)})


async def create_api_key(reg: Registry, api_key: dict[str, Any], kid: str | None) -> tuple[dict[str, Any], str]:
    """Validate and store a key; returns the row and the value, which is shown this once (the API's
    POST and the admin console's form)."""
    doc = _validate(api_key)
    value = api_key.get("key") or secrets.token_urlsafe(48)
    if kid and await reg.db.api_keys.get(kid) is not None:
        raise field_error("apiKeyId", "duplicate", "An API key with this id already exists.")
    try:
        row = await reg.db.api_keys.create(value, doc, kid)
    except Conflict:
        raise field_error("apiKey.key", "duplicate", "This key value is already in use.") from None
    await events.emit(reg, events.API_KEY_CREATE, payload={"apiKey": api_key_json(row)})
    return row, value


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


async def delete_api_key(reg: Registry, key_id: str) -> None:
    if not await reg.db.api_keys.delete(key_id):
        raise not_found("API key")
    await events.emit(reg, events.API_KEY_DELETE, payload={"apiKeyId": key_id})
