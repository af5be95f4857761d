"""`/oauth2/register` (FusionAuth's hosted registration path): "Create an account", linked from
the login page when the application's `registrationConfiguration.enabled` is true.

The answer to a valid form is the same "check your email" page for a new address and for one
that has an account (lifecycle/sign_up.py); only form errors (shown beside their fields) differ,
and they depend on the input alone. An application that signs users up with a username
(`loginIdType: "username"`) asks for one instead, and says so beside the field if it is taken.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from authgate.lifecycle import Invalid
from authgate.lifecycle.app_settings import LABELS, registration_form
from authgate.lifecycle.sign_up import sign_up
from authgate.registry import Registry
from authgate.ui import forms
from authgate.ui.pages import error_page, render
from authgate.web.rate_limit import address_allowed

router = APIRouter(include_in_schema=False)
PATH = "/oauth2/register"
AUTOCOMPLETE = {"firstName": "given-name", "middleName": "additional-name", "lastName": "family-name",
                "fullName": "name", "mobilePhone": "tel"}


async def _app(request: Request, params: dict[str, str]) -> dict | None:
    app = await forms.registry(request).apps.get(params.get("client_id"))
    if app is None or not app["active"] or not registration_form(app["doc"]).enabled:
        return None
    return app


def _show(request: Request, app: dict, params: dict[str, str], values: dict[str, str] | None = None,
          errors: Invalid | None = None) -> Response:
    form = registration_form(app["doc"])
    return forms.page(request, "register.html", PATH, errors=errors, action=PATH, app_name=app["name"], hidden=params,
                      values=values or {}, login_id_type=form.login_id_type,
                      extra_fields=[(n, LABELS[n], req) for n, req in form.fields],
                      autocompletes=AUTOCOMPLETE, confirm_password=form.confirm_password,
                      min_length=forms.registry(request).settings.password_min_length,
                      login_url=forms.login_url(params))


@router.get(PATH)
async def show(request: Request) -> Response:
    params = forms.carried(request.query_params)
    app = await _app(request, params)
    if app is None:
        return error_page("Sign-up is not available for this application.", 404)
    return _show(request, app, params)


@router.post(PATH)
@forms.checked("registration")
async def submit(request: Request, reg: Registry, form: dict[str, str]) -> Response:
    params = forms.carried(form)
    app = await _app(request, params)
    if app is None:
        return error_page("Sign-up is not available for this application.", 404)
    values = {k: v[:forms.MAX_VALUE_CHARS] for k, v in form.items() if k in ("email", "username", *LABELS)}
    if registration_form(app["doc"]).login_id_type == "username":
        try:
            await sign_up(reg, app, form.get("username", ""), form.get("password"), form.get("passwordConfirm"), form)
        except Invalid as exc:
            return _show(request, app, params, values, exc)
        return render("message.html", title="Your account is ready", tone="notice", paragraphs=[
            f"Log in with your username, {form.get('username', '').strip()}, and your new password."],
            links=[(u, "Log in") for u in [forms.login_url(params)] if u])
    email = form.get("email", "")
    try:
        if await address_allowed(reg.limiter, "sign-up", email):
            await sign_up(reg, app, email, form.get("password"), form.get("passwordConfirm"), form)
        else:  # over the per-address limit: same answer, no email (see web/rate_limit.py)
            from authgate.lifecycle.sign_up import validate

            validate(reg, app, email, form.get("password"), form.get("passwordConfirm"), form)
    except Invalid as exc:
        return _show(request, app, params, values, exc)
    return render("message.html", title="Check your email", tone="notice", paragraphs=[
        f"We sent a message to {email.strip()}. Open the link in it to finish creating your account.",
        "If it does not arrive within a few minutes, check your spam folder."],
        links=[(u, "Back to log in") for u in [forms.login_url(params)] if u])
