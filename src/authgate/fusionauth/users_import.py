"""`POST /api/user/import`: bulk import with existing password hashes (FusionAuth Import API).

Hashes are stored as given (PBKDF2 re-encoded, bcrypt verbatim) and upgraded to argon2id by the
user's next successful login (passwords.py, login.py). Like FusionAuth the import is all or
nothing: everything is validated first, and the users are written in one transaction, so a
write that still fails (a user created meanwhile with the same email) leaves nothing behind.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request, Response

from authgate import events
from authgate.errors import ApiError
from authgate.field_errors import Errors
from authgate.fusionauth.auth import registry
from authgate.present import user_json
from authgate.shapes import Body, ListOf, Shape
from authgate.passwords import BCRYPT_SCHEME, PBKDF2_SCHEME, encode_pbkdf2
from authgate.storage.repos import Conflict
from authgate.users import USER, check_unique, validate_user
from authgate.web.bodies import declares, read_body

router = APIRouter()
MAX_IMPORT = 10_000


def _b64(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _stored_hash(user: dict[str, Any], errors: Errors, prefix: str) -> str | None:
    """The hash to keep for an imported user, or None (no password: the user cannot log in yet)."""
    password, scheme = user.get("password"), user.get("encryptionScheme")
    if password is None:
        return None
    if scheme == PBKDF2_SCHEME:
        factor, salt = user.get("factor"), user.get("salt")
        if not isinstance(factor, int) or isinstance(factor, bool) or not 1 <= factor <= 10_000_000:
            errors.add(f"{prefix}.factor", "invalid", "[factor] must be a positive iteration count.")
        if not _b64(salt):
            errors.add(f"{prefix}.salt", "invalid", "[salt] must be base64.")
        if not _b64(password):
            errors.add(f"{prefix}.password", "invalid", "The PBKDF2 [password] must be the base64 hash.")
        return encode_pbkdf2(factor, salt, password) if not errors else None
    if scheme == BCRYPT_SCHEME:
        if not isinstance(password, str) or not password.startswith(("$2a$", "$2b$", "$2y$")) or len(password) != 60:
            errors.add(f"{prefix}.password", "invalid", "A bcrypt [password] must be the full $2a$ hash string.")
            return None
        return password
    errors.add(f"{prefix}.encryptionScheme", "invalid",
               f"[encryptionScheme] must be {PBKDF2_SCHEME} or {BCRYPT_SCHEME} when a password hash is imported.")
    return None


IMPORT = Shape({"users": ListOf(USER)}, required=("users",))


@router.post("/api/user/import")
@declares(Body(IMPORT, collected=True))  # each user is checked by validate_user, with its index
async def import_users(request: Request) -> Response:
    reg = registry(request)
    users = (await read_body(request)).get("users")
    if not isinstance(users, list) or not users:
        raise ApiError(400, field_errors={"users": [{"code": "[blank]users", "message": "You must specify a list of [users]."}]})
    if len(users) > MAX_IMPORT:
        raise ApiError(400, field_errors={"users": [{"code": "[tooMany]users", "message": f"At most {MAX_IMPORT} users per request."}]})
    errors = Errors()
    prepared: list[tuple[dict[str, Any], str | None, str | None]] = []
    seen: set[tuple[str, str]] = set()
    for i, user in enumerate(users):
        prefix = f"users[{i}]"
        if not isinstance(user, dict):
            errors.add(prefix, "invalid", "Each user must be an object.")
            continue
        before = len(errors.fields)
        # The imported password is a hash, so the plain-text length rules do not apply to it.
        doc = validate_user({**user, "password": None}, errors, prefix, password_required=False)
        password_hash = _stored_hash(user, errors, prefix)
        user_id = user.get("id")
        if user_id is not None and (not isinstance(user_id, str) or len(user_id) != 36):
            errors.add(f"{prefix}.id", "invalid", "[id] must be a UUID.")
        for key in ("email", "username"):
            value = doc.get(key)
            if isinstance(value, str) and value:
                if (key, value.lower()) in seen:
                    errors.add(f"{prefix}.{key}", "duplicate", f"The [{key}] appears twice in this request.")
                seen.add((key, value.lower()))
        if len(errors.fields) == before:
            await check_unique(reg, doc, errors, prefix)
        prepared.append((doc, password_hash, user_id))
    errors.raise_if_any()
    try:
        await reg.webhooks.all()  # warm the webhook list: nothing but our writes may await inside the transaction
        async with reg.db.transaction() as tx:  # all or nothing, as in FusionAuth, events included
            for doc, password_hash, user_id in prepared:
                row = await reg.db.users.add(tx, doc, password_hash, user_id)
                await events.emit(reg, events.USER_CREATE, user_id=row["id"], payload={"user": user_json(row)}, tx=tx)
    except Conflict:
        raise ApiError(400, general_errors=[{"code": "[duplicate]user",
                                             "message": "A user in the request conflicts with an existing user (id, email or username)."}]) from None
    return Response(status_code=200)
