"""The audit log and the login records: what their searches accept (every filter checked before
the database is asked, for the FusionAuth System APIs and the admin console alike), and the
entries an operator adds by hand.

*Ours*: a wrong type, an over-long text, `numberOfResults` above 500 or `startRow` above 10,000
(what an index range scan skips cheaply) is a 400 in FusionAuth's error shape, never a slow query.
"""
from __future__ import annotations

from typing import Any

from authgate import events
from authgate.errors import ApiError
from authgate.events import RequestContext
from authgate.field_errors import Errors
from authgate.registry import Registry
from authgate.shapes import Shape
from authgate.storage.repos.events import MAX_PAGE, AuditQuery, LoginQuery

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


async def add_entry(reg: Registry, entry: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """An audit log entry written by an operator (`insertUser`, `message`, optional `data` and
    `reason`); returns its stored row."""
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
    payload = {**(data or {}), **({"reason": reason} if reason else {})}
    event = await events.emit(reg, events.AUDIT_LOG_CREATE, ctx, message=message, payload=payload,
                              insert_user=insert_user.strip())
    row = await reg.db.audit_log.by_event(event.id)
    if row is None:  # the write failed and was logged
        raise ApiError(500, general_errors=[{"code": "[InternalError]", "message": "The entry could not be stored."}])
    return row
