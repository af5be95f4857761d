"""Console: signing keys (list, rotate, the JWKS as published) and API keys (list, create with
the value shown once, delete) -- through the core functions the FusionAuth Key and API Key APIs
call too (signing_keys.py, api_keys.py)."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate.admin.forms import api_errors
from authgate.admin.render import render
from authgate.admin.session import Admin, Form, require_admin, require_admin_form, see_other
from authgate.api_keys import ENDPOINTS, METHODS, create_api_key, delete_api_key
from authgate.errors import ApiError
from authgate.present import api_key_json, key_json
from authgate.signing_keys import rotate_key

router = APIRouter()
ROTATABLE = ("RS256", "ES256")
NOTICES = {"rotated": "New signing key created; the previous one stays published until its tokens expire.",
           "deleted": "API key deleted."}


@router.get("/admin/keys", include_in_schema=False)
async def signing_keys(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    current = {a: (await admin.reg.keys.signing_key(algorithm=a)).kid for a in ROTATABLE if await _has(admin, a)}
    keys = [key_json(r) for r in await admin.reg.db.signing_keys.list()]
    jwks = json.dumps(await admin.reg.keys.jwks(), indent=2)
    return render("keys.html", admin=admin, section="keys", csrf_token=admin.csrf_token, keys=keys, current=current,
                  algorithms=ROTATABLE, jwks=jwks, notice=NOTICES.get(request.query_params.get("done", "")))


async def _has(admin: Admin, algorithm: str) -> bool:
    return any(r["algorithm"] == algorithm and r["retire_instant"] is None for r in await admin.reg.db.signing_keys.published())


@router.post("/admin/keys/rotate", include_in_schema=False)
async def rotate(posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    algorithm = form.get("algorithm") or "RS256"
    await rotate_key(admin.reg, algorithm if algorithm in ROTATABLE else "RS256")
    return see_other("/admin/keys", "rotated")


def _api_keys_page(admin: Admin, rows: list[dict[str, Any]], errors: dict[str, list[str]], status: int = 200,
                   notice: str | None = None) -> Response:
    return render("api_keys.html", status=status, admin=admin, section="api-keys", csrf_token=admin.csrf_token,
                  keys=rows, errors=errors, endpoints=ENDPOINTS, notice=notice)


@router.get("/admin/api-keys", include_in_schema=False)
async def api_keys(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    rows = [api_key_json(r) for r in await admin.reg.db.api_keys.list()]
    return _api_keys_page(admin, rows, {}, notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/admin/api-keys", include_in_schema=False)
async def create(posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """A new key: a superuser key, or one limited to the chosen endpoints (every method)."""
    admin, form = posted
    endpoints = {e: list(METHODS) for e in ENDPOINTS if e in form.getlist("endpoints")}
    body = {"permissions": {"endpoints": endpoints},
            "metaData": {"attributes": {"description": form.get("description")[:200]}}}
    try:
        row, value = await create_api_key(admin.reg, body, None)
    except ApiError as exc:
        rows = [api_key_json(r) for r in await admin.reg.db.api_keys.list()]
        return _api_keys_page(admin, rows, api_errors(exc, "apiKey."), 400)
    return render("secret.html", admin=admin, section="api-keys", csrf_token=admin.csrf_token, title="API key created",
                  what="API key", owner=form.get("description") or "(no description)", value=value,
                  next_url="/admin/api-keys", details=[("Key id", row["id"])])


@router.post("/admin/api-keys/{key_id}/delete", include_in_schema=False)
async def delete(key_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, _ = posted
    try:
        await delete_api_key(admin.reg, key_id[:36])
    except ApiError as exc:
        rows = [api_key_json(r) for r in await admin.reg.db.api_keys.list()]
        return _api_keys_page(admin, rows, api_errors(exc), 404)
    return see_other("/admin/api-keys", "deleted")
