"""Console: applications (OAuth clients). List, create, edit, rotate the client secret, deactivate,
delete -- each through the core function the FusionAuth Application API calls too
(`applications.py`: create_application, update_application, delete_application), so validation,
defaults, caches and audit events are the API's own.

The form edits the fields an operator changes (redirect URIs, grants, token lifetimes, refresh
policy, CORS origins, registration and MFA settings, roles); every other field of the stored
application is kept. Form field names are the API's field paths, so the API's field errors land
beside the right input.
"""
from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate.admin.forms import api_errors, number, pagination
from authgate.admin.render import render
from authgate.admin.session import Admin, Form, missing, require_admin, require_admin_form, see_other
from authgate.applications import GRANTS, create_application, delete_application, update_application
from authgate.console import ADMIN_ROLE, CONSOLE_APP_ID
from authgate.errors import ApiError
from authgate.lifecycle.app_settings import LABELS, OPTIONAL_FIELDS
from authgate.present import application_json
from authgate.web.context import origins

router = APIRouter()

PKCE_POLICIES = ("Required", "NotRequired", "NotRequiredWhenUsingClientAuthentication")
USAGE_POLICIES = ("OneTimeUse", "Reusable")
EXPIRATION_POLICIES = ("Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime")
MFA_POLICIES = ("Enabled", "Required", "Disabled")  # mfa/policy.py; Enabled (the default) asks users who set one up
UNVERIFIED_BEHAVIORS = ("Allow", "Gated")
NOTICES = {"created": "Application created.", "saved": "Changes saved.", "deleted": "Application deleted.",
           "deactivated": "Application deactivated: logins and refreshes for it are refused.",
           "reactivated": "Application reactivated."}


def _sections(form: Form, current: dict[str, Any]) -> dict[str, Any]:
    """The application object the form describes; existing roles keep their ids."""
    role_ids = {r.get("name"): r for r in current.get("roles") or []}
    return {
        "name": form.get("name"),
        "roles": [role_ids.get(n) or {"name": n} for n in dict.fromkeys(form.lines("roles"))],
        "oauthConfiguration": {
            "authorizedRedirectURLs": form.lines("oauthConfiguration.authorizedRedirectURLs"),
            "authorizedOriginURLs": form.lines("oauthConfiguration.authorizedOriginURLs"),
            "logoutURL": form.get("oauthConfiguration.logoutURL") or None,
            "enabledGrants": [g for g in GRANTS if g in form.getlist("oauthConfiguration.enabledGrants")],
            "requireClientAuthentication": form.checked("oauthConfiguration.requireClientAuthentication"),
            "proofKeyForCodeExchangePolicy": form.get("oauthConfiguration.proofKeyForCodeExchangePolicy") or None,
            "requireRegistration": form.checked("oauthConfiguration.requireRegistration"),
        },
        "jwtConfiguration": {
            "timeToLiveInSeconds": number(form.get("jwtConfiguration.timeToLiveInSeconds")),
            "refreshTokenTimeToLiveInMinutes": number(form.get("jwtConfiguration.refreshTokenTimeToLiveInMinutes")),
            "refreshTokenUsagePolicy": form.get("jwtConfiguration.refreshTokenUsagePolicy") or None,
            "refreshTokenExpirationPolicy": form.get("jwtConfiguration.refreshTokenExpirationPolicy") or None,
        },
        "loginConfiguration": {
            "generateRefreshTokens": form.checked("loginConfiguration.generateRefreshTokens"),
            "requireAuthentication": form.checked("loginConfiguration.requireAuthentication"),
        },
        "registrationConfiguration": {
            "enabled": form.checked("registrationConfiguration.enabled"),
            "confirmPassword": form.checked("registrationConfiguration.confirmPassword"),
            "loginIdType": "username" if form.get("registrationConfiguration.loginIdType") == "username" else "email",
            **{name: {"enabled": form.checked(f"registrationConfiguration.{name}.enabled"),
                      "required": form.checked(f"registrationConfiguration.{name}.required")} for name in OPTIONAL_FIELDS},
        },
        "emailConfiguration": {
            "verifyEmail": _tristate(form.get("emailConfiguration.verifyEmail")),
            "unverified": {"behavior": behavior} if (behavior := form.get("emailConfiguration.unverified.behavior")) in
            UNVERIFIED_BEHAVIORS else None,
        },
        "multiFactorConfiguration": {"loginPolicy": form.get("multiFactorConfiguration.loginPolicy") or None},
    }


def _tristate(raw: str) -> bool | None:
    """A select of "default" / "yes" / "no": None leaves the server's setting in force."""
    return {"yes": True, "no": False}.get(raw)


def _merge(doc: dict[str, Any], edited: dict[str, Any]) -> dict[str, Any]:
    """The stored document with the form's sections laid over it (fields the form lacks survive);
    an emptied optional field is removed."""
    out = dict(doc)
    for key, value in edited.items():
        if isinstance(value, dict):
            section = {**(out.get(key) or {}), **value}
            out[key] = {k: v for k, v in section.items() if v is not None}
        else:
            out[key] = value
    return out


def _page(admin: Admin, app: dict[str, Any] | None, doc: dict[str, Any], errors: dict[str, list[str]],
          status: int = 200, **extra: Any) -> Response:
    return render("application.html", status=status, admin=admin, section="applications", csrf_token=admin.csrf_token,
                  app=app, doc=doc, errors=errors, grants=GRANTS, pkce_policies=PKCE_POLICIES,
                  usage_policies=USAGE_POLICIES, expiration_policies=EXPIRATION_POLICIES, mfa_policies=MFA_POLICIES,
                  optional_fields=[(n, LABELS[n]) for n in OPTIONAL_FIELDS], behaviors=UNVERIFIED_BEHAVIORS,
                  is_console=bool(app and app["id"] == CONSOLE_APP_ID), **extra)


async def _load(admin: Admin, app_id: str) -> dict[str, Any]:
    row = await admin.reg.db.applications.get(app_id) if len(app_id) <= 36 else None
    if row is None:
        raise missing(admin, "application", "/admin/applications")
    return application_json(row)


@router.get("/admin/applications", include_in_schema=False)
async def list_applications(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    rows = [application_json(r) for r in await admin.reg.db.applications.list()]
    start, shown, more = pagination(request, rows)
    return render("applications.html", admin=admin, section="applications", csrf_token=admin.csrf_token, apps=shown,
                  start=start, more=more, console_id=CONSOLE_APP_ID, notice=NOTICES.get(request.query_params.get("done", "")))


@router.get("/admin/applications/new", include_in_schema=False)
async def new_form(admin: Admin = Depends(require_admin)) -> Response:
    defaults = {"oauthConfiguration": {"enabledGrants": ["authorization_code", "refresh_token"],
                                       "requireClientAuthentication": True, "proofKeyForCodeExchangePolicy": "Required",
                                       "requireRegistration": True},
                "jwtConfiguration": {"refreshTokenUsagePolicy": "OneTimeUse", "refreshTokenExpirationPolicy": "Fixed"},
                "loginConfiguration": {"generateRefreshTokens": True}}
    return _page(admin, None, defaults, {})


@router.post("/admin/applications/new", include_in_schema=False)
async def create(request: Request, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    edited = _merge({}, _sections(form, {}))
    try:
        row = await create_application(admin.reg, edited, None, origins(request))
    except ApiError as exc:
        return _page(admin, None, edited, api_errors(exc, "application."), status=400)
    return _secret_page(admin, application_json(row), "Application created")


def _secret_page(admin: Admin, app: dict[str, Any], title: str) -> Response:
    """The client secret, shown once after it is made; the edit page never shows it again."""
    return render("secret.html", admin=admin, section="applications", csrf_token=admin.csrf_token, title=title,
                  what="client secret", owner=app["name"], value=app["oauthConfiguration"].get("clientSecret", ""),
                  next_url=f"/admin/applications/{app['id']}",
                  details=[("Client id", app["id"])])


@router.get("/admin/applications/{app_id}", include_in_schema=False)
async def edit_form(request: Request, app_id: str, admin: Admin = Depends(require_admin)) -> Response:
    app = await _load(admin, app_id)
    return _page(admin, app, app, {}, notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/admin/applications/{app_id}", include_in_schema=False)
async def save(request: Request, app_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    app = await _load(admin, app_id)
    edited = _sections(form, app)
    if app["id"] == CONSOLE_APP_ID and ADMIN_ROLE not in {r.get("name") for r in edited["roles"]}:
        return _page(admin, app, _merge(app, edited), {"roles": [f"The console's application keeps its [{ADMIN_ROLE}] role."]},
                     status=400)
    try:
        await update_application(admin.reg, app["id"], lambda doc: _merge(doc, edited), origins(request))
    except ApiError as exc:
        return _page(admin, app, _merge(app, edited), api_errors(exc, "application."), status=400)
    return see_other(f"/admin/applications/{app['id']}", "saved")


@router.post("/admin/applications/{app_id}/rotate-secret", include_in_schema=False)
async def rotate_secret(request: Request, app_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """A new client secret; the old one stops working at once (RFC 6749 section 2.3.1)."""
    admin, _ = posted
    app = await _load(admin, app_id)
    secret = secrets.token_urlsafe(32)
    row = await update_application(
        admin.reg, app["id"],
        lambda doc: {**doc, "oauthConfiguration": {**(doc.get("oauthConfiguration") or {}), "clientSecret": secret}},
        origins(request))
    return _secret_page(admin, application_json(row), "Client secret rotated")


@router.post("/admin/applications/{app_id}/state", include_in_schema=False)
async def change_state(request: Request, app_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    """`action`: deactivate (FusionAuth's soft delete), reactivate, or delete (hard)."""
    admin, form = posted
    app = await _load(admin, app_id)
    action = form.get("action")
    if app["id"] == CONSOLE_APP_ID and action != "reactivate":
        return _page(admin, app, app, {"general": ["The console's own application cannot be deactivated or deleted."]},
                     status=400)
    if action == "reactivate":
        await update_application(admin.reg, app["id"], lambda doc: {**doc, "active": True}, origins(request))
        return see_other(f"/admin/applications/{app['id']}", "reactivated")
    if action not in ("deactivate", "delete"):
        return _page(admin, app, app, {"general": ["Unknown action."]}, status=400)
    await delete_application(admin.reg, app["id"], hard=action == "delete", origins=origins(request))
    if action == "delete":
        return see_other("/admin/applications", "deleted")
    return see_other(f"/admin/applications/{app['id']}", "deactivated")
