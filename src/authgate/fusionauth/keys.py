"""FusionAuth Key API for signing keys: list, retrieve, generate, rotate, delete.

Responses carry the public key only -- never the private key or an HMAC secret. A key that an
application pins (`accessTokenKeyId`/`idTokenKeyId`) or the last live key of the default
algorithm cannot be deleted, since logins would then have nothing to sign with.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import events
from authgate.errors import field_error, general_error, not_found
from authgate.fusionauth._admin import Errors, object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.keys import ALGORITHMS
from authgate.registry import Registry
from authgate.storage.repos import Conflict
from authgate.shapes import Body, Shape
from authgate.tokens.policy import token_policy
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])

_LENGTHS = {"RS256": (2048, 3072, 4096), "ES256": (256,), "HS256": (256, 384, 512)}
_TYPES = {"RS256": "RSA", "ES256": "EC", "HS256": "HMAC"}
_DEFAULT_ALGORITHM = "RS256"  # what applications without a pinned key sign with (keys.KeyRing)


KEY = Shape({"algorithm": str, "name": str, "length": int}, required=("algorithm", "name"),
            enums={"algorithm": tuple(ALGORITHMS)})


def key_json(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"], "kid": row["id"], "algorithm": row["algorithm"], "name": row["name"],
                           "type": _TYPES.get(row["algorithm"], row["algorithm"]), "insertInstant": row["insert_instant"]}
    if row.get("public_pem"):
        out["publicKey"] = row["public_pem"]
    if row.get("retire_instant"):
        out["retireInstant"] = row["retire_instant"]  # authgate addition: published until then
    return out


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
@declares(Body(KEY, "key", collected=True))  # checked below, with the other problems
async def generate(request: Request, key_id: uuid.UUID | None = None) -> Response:
    reg = registry(request)
    key = object_field(await read_body(request), "key")
    errors = Errors()
    errors.extend(KEY.problems(key, "key"))
    algorithm, name, length = (key.get(k) if f"key.{k}" not in errors.fields else None for k in ("algorithm", "name", "length"))
    if algorithm not in ALGORITHMS and "key.algorithm" not in errors.fields:
        errors.add("key.algorithm", "invalid", f"[algorithm] must be one of {', '.join(ALGORITHMS)}.")
    if not (isinstance(name, str) and name.strip()) and "key.name" not in errors.fields:
        errors.add("key.name", "blank", "You must specify the [name] field.")
    if length is not None and algorithm in _LENGTHS and length not in _LENGTHS[algorithm]:
        errors.add("key.length", "invalid", f"[length] for {algorithm} must be one of {_LENGTHS[algorithm]}.")
    kid = str(key_id) if key_id else None
    if kid and await reg.db.signing_keys.get(kid) is not None:
        errors.add("keyId", "duplicate", "A key with this id already exists.")
    errors.raise_if_any()
    try:
        created = await reg.keys.generate(algorithm, name.strip(), kid, length)
    except Conflict:
        raise field_error("keyId", "duplicate", "A key with this id already exists.") from None
    await events.emit(reg, events.KEY_CREATE, payload={"key": key_json(created.row)})
    return JSONResponse({"key": key_json(created.row)})


@router.post("/api/key/rotate")
async def rotate(request: Request, algorithm: str = _DEFAULT_ALGORITHM) -> Response:
    """authgate addition: a new current key; older ones stay published until their tokens expire."""
    return JSONResponse({"key": key_json(await rotate_key(registry(request), algorithm))})


async def rotate_key(reg: Registry, algorithm: str) -> dict[str, Any]:
    """The API's rotate and the admin console's button: a new key row for `algorithm`."""
    if algorithm not in ALGORITHMS:
        raise field_error("algorithm", "invalid", f"[algorithm] must be one of {', '.join(ALGORITHMS)}.")
    new = await reg.keys.rotate(algorithm)
    await events.emit(reg, events.KEY_ROTATE, payload={"key": key_json(new.row)})
    return dict(new.row)


@router.delete("/api/key/{key_id:uuid}")
async def delete(request: Request, key_id: uuid.UUID) -> Response:
    reg, kid = registry(request), str(key_id)
    row = await reg.db.signing_keys.get(kid)
    if row is None:
        raise not_found("key")
    for app in await reg.db.applications.list():
        policy = token_policy(reg, app)
        if kid in (policy.key_id, policy.id_token_key_id):
            raise general_error(400, "[KeyInUse]", f"The key is used by the application {app['id']}; unpin it first.")
    live = [r for r in await reg.db.signing_keys.published()
            if r["algorithm"] == _DEFAULT_ALGORITHM and r["retire_instant"] is None]
    if [r["id"] for r in live] == [kid]:
        raise general_error(400, "[KeyInUse]", "This is the only active signing key; generate or rotate first.")
    await reg.db.signing_keys.delete(kid)
    reg.keys.forget(kid)
    await events.emit(reg, events.KEY_DELETE, payload={"key": key_json(row)})
    return Response(status_code=200)
