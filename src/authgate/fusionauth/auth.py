"""API key authentication for the admin APIs (`Authorization: <key>`, FusionAuth style).

A key with no `permissions.endpoints` is a superuser key; otherwise it may call only the
listed endpoints with the listed methods.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from authgate.errors import unauthorized
from authgate.web.context import api_key_actor, registry, set_actor  # registry: re-exported for the handlers

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


async def api_key(request: Request) -> dict[str, Any] | None:
    """The calling API key row if the header names a valid one permitted here, else None."""
    value = request.headers.get("authorization", "").strip()
    if not value or value.lower().startswith(("bearer ", "basic ")) or len(value) > 256:
        return None
    row = await registry(request).db.api_keys.find_by_key(value)
    if row is None or not permits(row["doc"], request.method, request.url.path):
        return None
    set_actor(request, api_key_actor(row))  # events name the key that made each change
    return row


# Declares the scheme in the OpenAPI document, on exactly the operations that depend on it.
# auto_error=False: the check (and its FusionAuth-shaped 401) is ours, below.
API_KEY_HEADER = APIKeyHeader(name="Authorization", scheme_name="ApiKey", auto_error=False, description=(
    "An authgate API key, sent as FusionAuth does: the raw key as the whole Authorization header, no scheme. "
    "A key may be limited to endpoints and methods (`permissions.endpoints`)."))


async def require_api_key(request: Request, _declared: str | None = Security(API_KEY_HEADER)) -> dict[str, Any]:
    """FastAPI dependency for admin endpoints: 401 in FusionAuth's shape unless a valid key is sent."""
    row = await api_key(request)
    if row is None:
        raise unauthorized()
    return row
