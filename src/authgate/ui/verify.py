"""The emailed verification link (`/email/verify/{verificationId}`, FusionAuth's hosted path).

Opening the link shows a button; the POST verifies. Mail scanners that fetch every link in a
message therefore cannot spend it, and a cross-site POST fails the CSRF check.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from authgate.lifecycle import Refused, links, verify_email
from authgate.registry import Registry
from authgate.ui import forms
from authgate.ui.pages import render

router = APIRouter(include_in_schema=False)
COOKIE_PATH = "/email/verify"


def _invalid_link() -> Response:
    return render("message.html", status=404, title="This link cannot be used", tone="error", paragraphs=[
        "The verification link is invalid, has expired or was already used.",
        "Log in to get a new one sent to you."], links=[])


@router.get("/email/verify/{verification_id}")
async def show(request: Request, verification_id: str) -> Response:
    reg = forms.registry(request)
    row = await verify_email.find(reg, verification_id)
    if row is None:
        return _invalid_link()
    action = links.verify_email("", verification_id, request.query_params.get("client_id"))
    return forms.page(request, "verify.html", COOKIE_PATH, action=action, email=row["email"])


@router.post("/email/verify/{verification_id}")
@forms.checked("verify-email")
async def submit(request: Request, reg: Registry, form: dict[str, str], verification_id: str) -> Response:
    try:
        user = await verify_email.complete(reg, verification_id)
    except Refused:
        return _invalid_link()
    app = await reg.apps.get(request.query_params.get("client_id"))
    home = links.app_home(app)
    return render("message.html", title="Your email is verified", tone="notice", paragraphs=[
        f"Thank you: {user['doc'].get('email')} is confirmed. You can log in now."],
        links=[(home, f"Continue to {app['name']}")] if home and app else [])
