"""FusionAuth's System APIs for the audit log and login records (API key).

- `POST /api/system/audit-log` `{auditLog: {insertUser, message, data, reason}}` adds an entry.
- `GET|POST /api/system/audit-log/search` `{search: {message, user, start, end, numberOfResults,
  startRow, orderBy}}` -> `{auditLogs, total}`; `GET /api/system/audit-log/{id}` -> `{auditLog}`.
- `POST /api/system/login-record/search` `{search: {userId, applicationId, start, end,
  numberOfResults, startRow}, retrieveTotal}` -> `{logins, total?}`.

*Ours*: every filter is checked before the database is asked. A wrong type, an over-long text,
`numberOfResults` above 500 or `startRow` above 10,000 (what an index range scan skips cheaply)
is a 400 in FusionAuth's error shape, never a slow query. Audit entries carry the event's type,
actor, IP, user agent, user and application besides FusionAuth's fields.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import events
from authgate.errors import ApiError, not_found
from authgate.fusionauth._admin import Errors, object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.shapes import Body, Shape
from authgate.storage.repos.events import MAX_PAGE, AuditQuery, LoginQuery
from authgate.web.context import context
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])

MAX_START_ROW = 10_000
MAX_TEXT = 256
MAX_INSTANT = 2**53  # epoch ms; JSON numbers beyond this are not exact anyway
# The search fields, declared once: the validators below run these shapes (closed: any other
# field is refused) for the API's GET and POST and the console, and the OpenAPI document
# publishes them. Numbers may come as text (a GET query); their ranges are checked below.
_NUMBER = (int, str)
_WINDOW = {"start": _NUMBER, "end": _NUMBER, "numberOfResults": _NUMBER, "startRow": _NUMBER}
AUDIT_SEARCH = Shape({"message": str, "user": str, **_WINDOW, "orderBy": str}, closed=True,
                     enums={"orderBy": ("insertInstant DESC", "insertInstant ASC")},
                     description=f"numberOfResults 1-{MAX_PAGE} (default 25), startRow 0-{MAX_START_ROW}, texts up to {MAX_TEXT} characters.")
LOGIN_SEARCH = Shape({"userId": str, "applicationId": str, **_WINDOW, "retrieveTotal": bool}, closed=True,
                     description=f"numberOfResults 1-{MAX_PAGE} (default 25), startRow 0-{MAX_START_ROW}.")
AUDIT_ENTRY = Shape({"insertUser": str, "message": str, "reason": str, "data": dict}, required=("insertUser", "message"))
_ORDERS = {"insertInstant DESC": True, "insertInstant ASC": False, "insertInstant desc": True, "insertInstant asc": False}


def _int(errors: Errors, search: dict[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    raw = search.get(key)
    if raw is None or raw == "" or f"search.{key}" in errors.fields:  # absent, or the shape said so already
        return default
    try:
        value = int(raw) if not isinstance(raw, (bool, float)) else None
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        errors.add(f"search.{key}", "invalid", f"[{key}] must be an integer from {low} to {high}.")
    return value


def _text(errors: Errors, search: dict[str, Any], key: str) -> str | None:
    raw = search.get(key)
    if raw is None or raw == "" or f"search.{key}" in errors.fields:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_TEXT or "\x00" in raw:
        errors.add(f"search.{key}", "invalid", f"[{key}] must be text of at most {MAX_TEXT} characters.")
        return None
    return raw


def _known(errors: Errors, search: dict[str, Any], shape: Shape) -> None:
    """Unknown fields and wrong types, by the declared shape."""
    errors.extend(shape.problems(search, "search"))


def _window(errors: Errors, search: dict[str, Any]) -> tuple[int | None, int | None, int, int]:
    start = _int(errors, search, "start", None, 0, MAX_INSTANT)
    end = _int(errors, search, "end", None, 0, MAX_INSTANT)
    limit = _int(errors, search, "numberOfResults", 25, 1, MAX_PAGE)
    row = _int(errors, search, "startRow", 0, 0, MAX_START_ROW)
    return start, end, limit or 25, row or 0


def audit_query(search: dict[str, Any]) -> AuditQuery:
    """The audit search criteria, validated; shared by the API and the admin console."""
    errors = Errors()
    _known(errors, search, AUDIT_SEARCH)
    start, end, limit, row = _window(errors, search)
    order = search.get("orderBy")
    if order is not None and "search.orderBy" not in errors.fields and order not in _ORDERS:
        errors.add("search.orderBy", "invalid", "[orderBy] must be [insertInstant DESC] or [insertInstant ASC].")
    message, user = _text(errors, search, "message"), _text(errors, search, "user")
    errors.raise_if_any()
    return AuditQuery(message=message, user=user, start=start, end=end, start_row=row, limit=limit,
                      newest_first=_ORDERS.get(order, True) if isinstance(order, str) else True)


def login_query(search: dict[str, Any], retrieve_total: bool = False) -> LoginQuery:
    errors = Errors()
    _known(errors, search, LOGIN_SEARCH)
    start, end, limit, row = _window(errors, search)
    user_id, app_id = _text(errors, search, "userId"), _text(errors, search, "applicationId")
    total = search.get("retrieveTotal", retrieve_total)
    if not isinstance(total, bool) and "search.retrieveTotal" not in errors.fields:
        errors.add("search.retrieveTotal", "invalid", "[retrieveTotal] must be true or false.")
    errors.raise_if_any()
    return LoginQuery(user_id=user_id, application_id=app_id, start=start, end=end, start_row=row, limit=limit,
                      total=bool(total))


def audit_json(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"], "insertInstant": row["insert_instant"], "insertUser": row["insert_user"],
        "message": row["message"], "data": row["data"],
        # ours: the event behind the entry
        "eventType": row["event_type"], "actor": {"type": row["actor_kind"], "id": row["actor_id"]},
    }
    for key, column in (("reason", None), ("userId", "user_id"), ("applicationId", "application_id"),
                        ("ipAddress", "ip_address"), ("userAgent", "user_agent")):
        value = row["data"].get("reason") if column is None and isinstance(row["data"], dict) else row.get(column or "")
        if value is not None:
            out[key] = value
    return out


async def _search(request: Request, search: dict[str, Any]) -> Response:
    total, rows = await registry(request).db.audit_log.search(audit_query(search))
    return JSONResponse({"auditLogs": [audit_json(r) for r in rows], "total": total})


@router.post("/api/system/audit-log")
@declares(Body(AUDIT_ENTRY, "auditLog", collected=True))  # checked below, with the blank fields
async def create(request: Request) -> Response:
    entry = object_field(await read_body(request), "auditLog")
    errors = Errors()
    errors.extend(AUDIT_ENTRY.problems(entry, "auditLog"))
    insert_user, message, data, reason = (entry.get(k) if f"auditLog.{k}" not in errors.fields else None
                                          for k in ("insertUser", "message", "data", "reason"))
    if not errors and not (isinstance(insert_user, str) and insert_user.strip()):
        errors.add("auditLog.insertUser", "blank", "You must specify the [insertUser] field.")
    if not errors and not (isinstance(message, str) and message.strip()):
        errors.add("auditLog.message", "blank", "You must specify the [message] field.")
    if isinstance(message, str) and len(message) > 10_000:
        errors.add("auditLog.message", "tooLong", "The [message] is longer than 10000 characters.")
    errors.raise_if_any()
    reg = registry(request)
    payload = {**(data or {}), **({"reason": reason} if reason else {})}
    event = await events.emit(reg, events.AUDIT_LOG_CREATE, context(request), message=message, payload=payload,
                              insert_user=insert_user.strip())
    row = await reg.db.audit_log.by_event(event.id)
    if row is None:  # the write failed and was logged
        raise ApiError(500, general_errors=[{"code": "[InternalError]", "message": "The entry could not be stored."}])
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


def login_json(row: dict[str, Any], app_names: dict[str, str | None]) -> dict[str, Any]:
    out = {"userId": row["user_id"], "instant": row["instant"], "loginId": row["login_id"],
           "ipAddress": row["ip_address"], "userAgent": row["user_agent"]}
    if row["application_id"]:
        out["applicationId"] = row["application_id"]
        if app_names.get(row["application_id"]):
            out["applicationName"] = app_names[row["application_id"]]
    return {k: v for k, v in out.items() if v is not None}
