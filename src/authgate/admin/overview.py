"""The console's first page: how many users, applications and keys; logins per hour."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from authgate.admin.chart import HOUR_MS, hourly
from authgate.admin.render import render
from authgate.admin.session import Admin, require_admin
from authgate.clock import clock

router = APIRouter()
HOURS = 24


@router.get("/admin", include_in_schema=False)
@router.get("/admin/", include_in_schema=False)
async def overview(admin: Admin = Depends(require_admin)) -> Response:
    db = admin.reg.db
    users, _ = await db.users.search(None, None, 0, 0)
    now = clock.now_ms()
    starts = await db.sso_sessions.started_since(now - HOURS * HOUR_MS)
    chart = hourly(starts, now, HOURS, "Sign-ins on the hosted login page (SSO sessions started).")
    return render("overview.html", admin=admin, section="overview", csrf_token=admin.csrf_token, users=users,
                  applications=len(await db.applications.list()), keys=len(await db.signing_keys.list()),
                  chart=chart, failures=None)
