"""FusionAuth Key API for signing keys: list, retrieve, generate, rotate, delete.

Responses carry the public key only -- never the private key or an HMAC secret. The rules
(which key may be deleted) are authgate/signing_keys.py's.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.errors import not_found
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.present import key_json
from authgate.shapes import Body
from authgate.signing_keys import DEFAULT_ALGORITHM, KEY, delete_key, generate_key, rotate_key
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])


@router.get("/api/key")
async def list_keys(request: Request) -> Response:
    rows = await registry(request).db.signing_keys.list()
    return JSONResponse({"keys": [key_json(r) for r in rows]})


@router.get("/api/key/{key_id:uuid}")
async def retrieve(request: Request, key_id: uuid.UUID) -> Response:
    row = await registry(request).db.signing_keys.get(str(key_id))
    if row is None:
        raise not_found("key")
    return JSONResponse({"key": key_json(row)})


@router.post("/api/key/generate")
@router.post("/api/key/generate/{key_id:uuid}")
@declares(Body(KEY, "key", collected=True))  # checked by generate_key, with the other problems
async def generate(request: Request, key_id: uuid.UUID | None = None) -> Response:
    key = object_field(await read_body(request), "key")
    return JSONResponse({"key": key_json(await generate_key(registry(request), key, str(key_id) if key_id else None))})


@router.post("/api/key/rotate")
async def rotate(request: Request, algorithm: str = DEFAULT_ALGORITHM) -> Response:
    """authgate addition: a new current key; older ones stay published until their tokens expire."""
    return JSONResponse({"key": key_json(await rotate_key(registry(request), algorithm))})


@router.delete("/api/key/{key_id:uuid}")
async def delete(request: Request, key_id: uuid.UUID) -> Response:
    await delete_key(registry(request), str(key_id))
    return Response(status_code=200)
