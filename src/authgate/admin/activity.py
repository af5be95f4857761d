"""Console: the audit log and the login records, with the filters of their FusionAuth search APIs
(`audit.py`'s audit_query / login_query validate the criteria for both)."""
from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate.admin.forms import api_errors
from authgate.admin.render import render
from authgate.admin.session import Admin, require_admin
from authgate.audit import audit_query, login_query
from authgate.errors import ApiError
from authgate.present import audit_json, login_json

router = APIRouter()
PAGE = 50


def _instant(raw: str) -> int | str | None:
    """A `datetime-local` value (taken as UTC) to epoch ms; junk is passed on for the API's check."""
    if not raw:
        return None
    try:
        moment = datetime.datetime.fromisoformat(raw[:32])
    except ValueError:
        return raw[:40]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp() * 1000)


def _filters(request: Request, names: tuple[str, ...]) -> tuple[dict[str, str], dict[str, Any], int]:
    q = request.query_params
    shown = {n: q.get(n, "")[:320] for n in (*names, "start", "end")}
    raw_row = q.get("startRow", "0")
    row = int(raw_row) if raw_row.isdigit() and len(raw_row) < 7 else 0
    search: dict[str, Any] = {n: shown[n] for n in names if shown[n]}
    for key in ("start", "end"):
        if shown[key]:
            search[key] = _instant(shown[key])
    search.update(numberOfResults=PAGE, startRow=row)
    return shown, search, row


@router.get("/admin/audit", include_in_schema=False)
async def audit(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    shown, search, row = _filters(request, ("message", "user"))

    async def find() -> tuple[int, list[dict[str, Any]]]:
        total, rows = await admin.reg.db.audit_log.search(audit_query(search))
        return total, [audit_json(r) for r in rows]

    return await _listing(admin, "audit", find, shown, row)


@router.get("/admin/logins", include_in_schema=False)
async def logins(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    shown, search, row = _filters(request, ("userId", "applicationId"))
    names = {a["id"]: a["name"] for a in await admin.reg.db.applications.list()}

    async def find() -> tuple[int, list[dict[str, Any]]]:
        total, rows = await admin.reg.db.login_records.search(login_query(search, retrieve_total=True))
        return total or 0, [login_json(r, names) for r in rows]

    return await _listing(admin, "logins", find, shown, row, apps=names)


async def _listing(admin: Admin, section: str, find: Callable[[], Awaitable[tuple[int, list[dict[str, Any]]]]],
                   shown: dict[str, str], row: int, **extra: Any) -> Response:
    """One page of a search; the API's refusal of a filter is shown beside the field (400)."""
    errors: dict[str, list[str]] = {}
    total, items = 0, []
    try:
        total, items = await find()
    except ApiError as exc:
        errors = api_errors(exc, "search.")
    return render(f"{section}.html", status=400 if errors else 200, admin=admin, section=section,
                  csrf_token=admin.csrf_token, items=items, total=total, filters=shown, errors=errors, row=row,
                  page=PAGE, **extra)
