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
    since = (now // HOUR_MS - HOURS + 1) * HOUR_MS
    chart = hourly(await db.console_stats.logins_per_hour(since), now, HOURS,
                   "Successful logins (login records: the login API, the hosted login page), by hour in UTC.")
    failures = [{"instant": f["insert_instant"], "loginId": (f["data"] or {}).get("loginId", ""),
                 "reason": (f["data"] or {}).get("reason", ""), "ipAddress": f["ip_address"] or "",
                 "application": f["application_id"]} for f in await db.console_stats.recent_failures(since)]
    names = {a["id"]: a["name"] for a in await db.applications.list()}
    for f in failures:
        f["applicationName"] = names.get(f["application"] or "", "")
    return render("overview.html", admin=admin, section="overview", csrf_token=admin.csrf_token, users=users,
                  applications=len(names), keys=len(await db.signing_keys.list()), chart=chart, failures=failures)
