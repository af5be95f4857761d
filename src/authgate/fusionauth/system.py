"""FusionAuth's System APIs for the audit log and login records (API key).

- `POST /api/system/audit-log` `{auditLog: {insertUser, message, data, reason}}` adds an entry.
- `GET|POST /api/system/audit-log/search` `{search: {message, user, start, end, numberOfResults,
  startRow, orderBy}}` -> `{auditLogs, total}`; `GET /api/system/audit-log/{id}` -> `{auditLog}`.
- `POST /api/system/login-record/search` `{search: {userId, applicationId, start, end,
  numberOfResults, startRow}, retrieveTotal}` -> `{logins, total?}`.

*Ours*: every filter is checked before the database is asked (authgate/audit.py). Audit entries
carry the event's type, actor, IP, user agent, user and application besides FusionAuth's fields.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.audit import AUDIT_ENTRY, AUDIT_SEARCH, LOGIN_SEARCH, add_entry, audit_query, login_query
from authgate.errors import not_found
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.present import audit_json, login_json
from authgate.shapes import Body
from authgate.web.context import context
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])


async def _search(request: Request, search: dict[str, Any]) -> Response:
    total, rows = await registry(request).db.audit_log.search(audit_query(search))
    return JSONResponse({"auditLogs": [audit_json(r) for r in rows], "total": total})


@router.post("/api/system/audit-log")
@declares(Body(AUDIT_ENTRY, "auditLog", collected=True))  # add_entry checks it, with the blank fields
async def create(request: Request) -> Response:
    entry = object_field(await read_body(request), "auditLog")
    row = await add_entry(registry(request), entry, context(request))
    return JSONResponse({"auditLog": audit_json(row)})


@router.get("/api/system/audit-log/search")
async def search_get(request: Request) -> Response:
    return await _search(request, dict(request.query_params))


@router.post("/api/system/audit-log/search")
@declares(Body(AUDIT_SEARCH, "search", collected=True))  # audit_query runs it, for the GET's query too
async def search_post(request: Request) -> Response:
    return await _search(request, object_field(await read_body(request), "search"))


@router.get("/api/system/audit-log/{entry_id}")
async def retrieve(request: Request, entry_id: str) -> Response:
    row = await registry(request).db.audit_log.get(int(entry_id)) if entry_id.isdigit() and len(entry_id) < 19 else None
    if row is None:
        raise not_found("audit log entry")
    return JSONResponse({"auditLog": audit_json(row)})


@router.post("/api/system/login-record/search")
@declares(Body(LOGIN_SEARCH, "search", extra={"retrieveTotal": bool}, collected=True))  # login_query runs it
async def login_search(request: Request) -> Response:
    body = await read_body(request)
    retrieve_total = body.get("retrieveTotal", False)
    reg = registry(request)
    total, rows = await reg.db.login_records.search(login_query(object_field(body, "search"), retrieve_total))
    names: dict[str, str | None] = {}
    for app_id in {r["application_id"] for r in rows if r["application_id"]}:
        app = await reg.apps.get(app_id)
        names[app_id] = app["name"] if app else None
    out: dict[str, Any] = {"logins": [login_json(r, names) for r in rows]}
    if total is not None:
        out["total"] = total
    return JSONResponse(out)
