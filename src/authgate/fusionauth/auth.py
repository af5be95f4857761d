"""API key authentication for the admin APIs (`Authorization: <key>`, FusionAuth style).

What a key may call is authgate/api_keys.py's `permits`.
"""
from __future__ import annotations

from typing import Any

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from authgate.api_keys import permits
from authgate.errors import unauthorized
from authgate.web.context import api_key_actor, registry, set_actor  # registry: re-exported for the handlers


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
