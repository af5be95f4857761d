"""Forgot password (`/password/forgot`) and the emailed reset link (`/password/change/{id}`),
FusionAuth's hosted paths.

The forgot form answers the same for every address (lifecycle/reset_password.py). The reset page
carries a secret in its URL: like every hosted page it sends `Referrer-Policy: no-referrer`
(ui/pages.py), and it loads nothing from anyone, so the id cannot leak through `Referer`.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from authgate.email_address import is_email
from authgate.lifecycle import Refused, links, reset_password
from authgate.registry import Registry
from authgate.ui import forms
from authgate.ui.pages import render
from authgate.web.rate_limit import address_allowed

router = APIRouter(include_in_schema=False)
FORGOT = "/password/forgot"
COOKIE_PATH = "/password"


def _invalid_link(request: Request, client_id: str | None) -> Response:
    return render("message.html", status=404, title="This link cannot be used", tone="error", paragraphs=[
        "The link is invalid, has expired or was already used. Reset links work once, for a few minutes."],
        links=[(links.forgot_password("", client_id), "Send me a new link")])


def _show_forgot(request: Request, params: dict[str, str], values: dict[str, str] | None = None,
                 errors: Refused | None = None) -> Response:
    return forms.page(request, "forgot.html", COOKIE_PATH, errors=errors, hidden=params, values=values or {},
                      login_url=forms.login_url(params))


@router.get(FORGOT)
async def forgot(request: Request) -> Response:
    return _show_forgot(request, forms.carried(request.query_params))


@router.post(FORGOT)
@forms.checked("forgot-password")
async def forgot_submit(request: Request, reg: Registry, form: dict[str, str]) -> Response:
    params = forms.carried(form)
    email = form.get("email", "").strip()
    if not email or not is_email(email):
        return _show_forgot(request, params, {"email": email[:320]}, Refused("email", "invalid", "Enter a valid email address."))
    app = await reg.apps.get(params.get("client_id"))
    if await address_allowed(reg.limiter, "forgot-password", email):
        await reset_password.request(reg, email, app["id"] if app else None, app["name"] if app else "authgate")
    return render("message.html", title="Check your email", tone="notice", paragraphs=[
        f"If an account exists for {email}, we sent it a link to choose a new password.",
        f"The link works once, for {reg.settings.change_password_id_ttl_seconds // 60} minutes."],
        links=[(u, "Back to log in") for u in [forms.login_url(params)] if u])


@router.get("/password/change/{change_password_id}")
async def reset(request: Request, change_password_id: str) -> Response:
    reg = forms.registry(request)
    client_id = request.query_params.get("client_id")
    row = await reset_password.find(reg, change_password_id)
    if row is None:
        return _invalid_link(request, client_id)
    user = await reg.db.users.get(row["user_id"])
    return _show_reset(request, change_password_id, client_id, user["doc"].get("email") if user else None)


def _show_reset(request: Request, change_password_id: str, client_id: str | None, email: str | None,
                errors: Refused | None = None) -> Response:
    action = links.change_password("", change_password_id, client_id)
    return forms.page(request, "reset.html", COOKIE_PATH, errors=errors, action=action, email=email,
                      min_length=forms.registry(request).settings.password_min_length)


@router.post("/password/change/{change_password_id}")
@forms.checked("reset-password")
async def reset_submit(request: Request, reg: Registry, form: dict[str, str], change_password_id: str) -> Response:
    client_id = request.query_params.get("client_id")
    row = await reset_password.find(reg, change_password_id)
    if row is None:
        return _invalid_link(request, client_id)
    user = await reg.db.users.get(row["user_id"])
    email = user["doc"].get("email") if user else None
    if form.get("password") != form.get("passwordConfirm"):
        return _show_reset(request, change_password_id, client_id, email,
                           Refused("passwordConfirm", "mismatch", "The two passwords differ."))
    try:
        await reset_password.complete(reg, change_password_id, form.get("password"))
    except Refused as exc:
        if exc.field == "changePasswordId":
            return _invalid_link(request, client_id)
        return _show_reset(request, change_password_id, client_id, email, exc)
    app = await reg.apps.get(row["application_id"])
    home = links.app_home(app)
    return render("message.html", title="Your password was changed", tone="notice", paragraphs=[
        "You can now log in with your new password. Every session of your account was signed out."],
        links=[(home, f"Back to {app['name']}")] if home and app else [])
