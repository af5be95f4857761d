"""FusionAuth's `unverified.behavior: Gated` on the hosted login: a user whose email is not yet
verified gets no session and no code for such an application; they are shown "verify your email"
and sent a fresh link (within the per-address email limit)."""
from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from authgate.lifecycle import verify_email
from authgate.lifecycle.app_settings import is_verified, unverified_gated
from authgate.registry import Registry
from authgate.ui.pages import render
from authgate.web.rate_limit import address_allowed


async def must_verify_first(reg: Registry, app: dict[str, Any], user: dict[str, Any]) -> bool:
    if is_verified(user) or not unverified_gated(app["doc"], reg.settings):
        return False
    email = user["doc"].get("email")
    if email and await address_allowed(reg.limiter, "verify-email", email):
        await verify_email.start(reg, user, app["id"], app_name=app["name"])
    return True


def page() -> Response:
    return render("message.html", status=403, title="Verify your email first", tone="error", paragraphs=[
        "This application needs a verified email address. We sent you a new verification link: open it, "
        "then log in again."], links=[])
