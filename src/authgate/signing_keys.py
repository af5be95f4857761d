"""Signing keys: generate, rotate and delete, with their rules and events -- for the FusionAuth
Key API and the admin console. (The key ring that signs and publishes is keys.py.)

A key that an application pins (`accessTokenKeyId`/`idTokenKeyId`) or the last live key of the
default algorithm cannot be deleted, since logins would then have nothing to sign with.
"""
from __future__ import annotations

from typing import Any

from authgate import events
from authgate.errors import field_error, general_error, not_found
from authgate.field_errors import Errors
from authgate.keys import ALGORITHMS
from authgate.present import key_json
from authgate.registry import Registry
from authgate.shapes import Shape
from authgate.storage.repos import Conflict
from authgate.tokens.policy import token_policy

_LENGTHS = {"RS256": (2048, 3072, 4096), "ES256": (256,), "HS256": (256, 384, 512)}
DEFAULT_ALGORITHM = "RS256"  # what applications without a pinned key sign with (keys.KeyRing)

KEY = Shape({"algorithm": str, "name": str, "length": int}, required=("algorithm", "name"),
            enums={"algorithm": tuple(ALGORITHMS)})


async def generate_key(reg: Registry, key: dict[str, Any], kid: str | None) -> dict[str, Any]:
    """Validate a key request (`algorithm`, `name`, optional `length`) and make the key; its row."""
    errors = Errors()
    errors.extend(KEY.problems(key, "key"))
    algorithm, name, length = (key.get(k) if f"key.{k}" not in errors.fields else None for k in ("algorithm", "name", "length"))
    if algorithm not in ALGORITHMS and "key.algorithm" not in errors.fields:
        errors.add("key.algorithm", "invalid", f"[algorithm] must be one of {', '.join(ALGORITHMS)}.")
    if not (isinstance(name, str) and name.strip()) and "key.name" not in errors.fields:
        errors.add("key.name", "blank", "You must specify the [name] field.")
    if length is not None and algorithm in _LENGTHS and length not in _LENGTHS[algorithm]:
        errors.add("key.length", "invalid", f"[length] for {algorithm} must be one of {_LENGTHS[algorithm]}.")
    if kid and await reg.db.signing_keys.get(kid) is not None:
        errors.add("keyId", "duplicate", "A key with this id already exists.")
    errors.raise_if_any()
    try:
        created = await reg.keys.generate(algorithm, name.strip(), kid, length)
    except Conflict:
        raise field_error("keyId", "duplicate", "A key with this id already exists.") from None
    await events.emit(reg, events.KEY_CREATE, payload={"key": key_json(created.row)})
    return dict(created.row)


async def rotate_key(reg: Registry, algorithm: str) -> dict[str, Any]:
    """The API's rotate and the admin console's button: a new key row for `algorithm`."""
    if algorithm not in ALGORITHMS:
        raise field_error("algorithm", "invalid", f"[algorithm] must be one of {', '.join(ALGORITHMS)}.")
    new = await reg.keys.rotate(algorithm)
    await events.emit(reg, events.KEY_ROTATE, payload={"key": key_json(new.row)})
    return dict(new.row)


async def delete_key(reg: Registry, kid: str) -> None:
    row = await reg.db.signing_keys.get(kid)
    if row is None:
        raise not_found("key")
    for app in await reg.db.applications.list():
        policy = token_policy(reg, app)
        if kid in (policy.key_id, policy.id_token_key_id):
            raise general_error(400, "[KeyInUse]", f"The key is used by the application {app['id']}; unpin it first.")
    live = [r for r in await reg.db.signing_keys.published()
            if r["algorithm"] == DEFAULT_ALGORITHM and r["retire_instant"] is None]
    if [r["id"] for r in live] == [kid]:
        raise general_error(400, "[KeyInUse]", "This is the only active signing key; generate or rotate first.")
    await reg.db.signing_keys.delete(kid)
    reg.keys.forget(kid)
    await events.emit(reg, events.KEY_DELETE, payload={"key": key_json(row)})
