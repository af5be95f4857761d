"""API keys: which endpoints a key may call, and creating and deleting keys (the FusionAuth API
Key API, the admin console, the CLI).

A key with no `permissions.endpoints` is a superuser key; otherwise it may call only the listed
endpoints with the listed methods. Only a digest of each key is stored, so its value is returned
once, by `create_api_key`.
"""
from __future__ import annotations

import secrets
from typing import Any

from authgate import events
from authgate.errors import field_error, not_found
from authgate.field_errors import Errors
from authgate.present import api_key_json
from authgate.registry import Registry
from authgate.shapes import Shape
from authgate.storage.repos import Conflict

MIN_KEY, MAX_KEY = 32, 256  # the digest is a plain SHA-256, so a key must carry its own entropy
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Endpoint roots that permissions name; a request belongs to the longest one that prefixes it.
ENDPOINTS = (
    "/api/api-key", "/api/application", "/api/jwt/refresh", "/api/jwt/validate", "/api/key", "/api/login",
    "/api/logout", "/api/user", "/api/user/registration", "/api/user/search", "/api/user/import",
    "/api/two-factor", "/api/user/two-factor", "/api/webauthn",
    "/api/system/audit-log", "/api/system/login-record", "/api/webhook",
)


def _endpoint_of(path: str) -> str:
    matches = [e for e in ENDPOINTS if path == e or path.startswith(e + "/")]
    return max(matches, key=len) if matches else path


def permits(key_doc: dict[str, Any], method: str, path: str) -> bool:
    endpoints = (key_doc.get("permissions") or {}).get("endpoints") or {}
    if not endpoints:
        return True
    return method.upper() in [m.upper() for m in endpoints.get(_endpoint_of(path), [])]


API_KEY = Shape({"key": str, "permissions": Shape({"endpoints": dict}), "metaData": dict},
                description="An API key; `key` is generated when absent and shown only in this answer.")


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


async def delete_api_key(reg: Registry, key_id: str) -> None:
    if not await reg.db.api_keys.delete(key_id):
        raise not_found("API key")
    await events.emit(reg, events.API_KEY_DELETE, payload={"apiKeyId": key_id})
