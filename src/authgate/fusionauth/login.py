"""`POST /api/login` (FusionAuth Login API): credentials in, JWT + refresh token out.

Status codes: 200 ok; 202 authenticated but not registered for the application (no token);
212 the user's email is not verified and the application verifies email (FusionAuth's code: with
tokens when unverified users may log in, `Allow`; without, and a fresh verification link sent,
when the application is `Gated`); 242 a second factor is needed (authgate/mfa/, finished at
/api/two-factor/login);
404 unknown user or wrong password -- identical response and the same argon2 cost, so the two
cannot be told apart; 409 locked after too many failures; 410 user expired; 423 user locked by an
administrator (`active: false`); 400 validation; 401 when the application requires an API key.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from authgate import events
from authgate.accounts import LoginRefused, authenticate_logged, record_login
from authgate.clock import clock
from authgate.errors import ApiError, field_error, general_error
from authgate.fusionauth.auth import api_key, registry
from authgate.lifecycle.app_settings import is_verified, verify_email
from authgate.mfa import amr, factors, passkeys, pending
from authgate.present import user_json
from authgate.registry import Registry
from authgate.tokens import access, refresh
from authgate.tokens.policy import token_policy
from authgate.shapes import Body, Shape
from authgate.ui.gated import must_verify_first
from authgate.web import cookies, cross_site
from authgate.web.bodies import declares, read_body

router = APIRouter()
log = logging.getLogger("authgate.login")

LOGIN_FAILED = ApiError(404, empty_body=True, detail="invalid credentials")


def login_error(exc: LoginRefused) -> ApiError:
    """The Login API's answer to a refused login: 404 for unknown user and wrong password alike."""
    if exc.reason == "locked":
        return general_error(409, "[UserLockedException]", "The user is locked, after too many failed attempts or by an administrator.",
                             detail=exc.detail)
    if exc.reason == "inactive":
        return general_error(423, "[UserLockedException]", "The user account is locked.")
    if exc.reason == "expired":
        return general_error(410, "[UserExpiredException]", "The user account has expired.")
    return LOGIN_FAILED


# FusionAuth's Login API request (unknown fields tolerated; texts capped before any hashing).
LOGIN = Body(Shape({"loginId": str, "password": str, "applicationId": str, "noJWT": bool, "ipAddress": str,
                    "metaData": dict}, required=("loginId", "password"), max_chars=4096))


@router.post("/api/login")
@declares(LOGIN)
async def login(request: Request) -> Response:
    reg = registry(request)
    await cross_site.guard(request, sets_cookies=True)
    body = await read_body(request)
    login_id, password, app_id = body.get("loginId"), body.get("password"), body.get("applicationId")
    no_jwt, meta = body.get("noJWT") is True, body.get("metaData")
    if not login_id or not login_id.strip():
        raise field_error("loginId", "blank", "You must specify the [loginId] field.")
    if not password:
        raise field_error("password", "blank", "You must specify the [password] field.")
    app = None
    if app_id is not None:
        app = await reg.apps.get(app_id)
        if app is None or not app["active"]:
            raise field_error("applicationId", "invalid", "The [applicationId] does not identify an active application.")
        # FusionAuth's default is true: only an application that opts out (a SPA posting its own
        # form) lets anyone log in to it without an API key.
        if (app["doc"].get("loginConfiguration") or {}).get("requireAuthentication", True) and await api_key(request) is None:
            raise ApiError(401, general_errors=[{"code": "[Unauthorized]", "message": "This application requires an API key to log in."}])
    try:
        user = await authenticate_logged(reg, login_id, password, app["id"] if app else None)
    except LoginRefused as exc:
        raise login_error(exc) from None
    if await factors.second_factor_needed(reg, user["id"], app):
        return await two_factor_required(reg, user, app, no_jwt=no_jwt, meta=meta)
    return await complete(request, reg, user, app, no_jwt=no_jwt, meta=meta, amr=amr.PASSWORD)


async def two_factor_required(reg: Registry, user: dict[str, Any], app: dict[str, Any] | None, *, no_jwt: bool,
                              meta: dict[str, Any] | None) -> JSONResponse:
    """FusionAuth's 242: the password was right, a second factor is needed. The body names the
    user's methods and a `twoFactorId` for /api/two-factor/login (or, *ours*, /api/webauthn/login)."""
    two_factor_id = await pending.start(reg, user["id"], app["id"] if app else None, amr.PASSWORD,
                                        noJWT=no_jwt, metaData=meta or {})
    methods = [m.public() for m in await factors.methods(reg, user["id"])]
    methods += [{"id": p.id, "method": "webauthn", "name": p.name} for p in await passkeys.for_user(reg, user["id"])]
    return JSONResponse({"twoFactorId": two_factor_id, "methods": methods}, status_code=242)


async def complete(request: Request, reg: Registry, user: dict[str, Any], app: dict[str, Any] | None, *, no_jwt: bool,
                   meta: dict[str, Any] | None, amr: tuple[str, ...], auth_type: str = "PASSWORD") -> Response:
    """The end of every API login (password, two-factor, passkey): 200 with tokens and cookies,
    202 when the user is not registered for the application (no token), 212 when the user's email
    is not verified and the application verifies email (no token either if it is `Gated`)."""
    user = await record_login(reg, user)
    await events.login_succeeded(reg, user, app["id"] if app else None)
    registrations = await reg.db.registrations.for_user(user["id"])
    result: dict[str, Any] = {"user": user_json(user, registrations)}
    registration = next((r for r in registrations if app and r["application_id"] == app["id"]), None)
    if app is not None and registration is None:
        return JSONResponse(result, status_code=202)
    status = 200 if is_verified(user) or not verify_email(app["doc"] if app else None, reg.settings) else 212
    if status == 212 and app is not None and await must_verify_first(reg, app, user):
        return JSONResponse(result, status_code=212)  # Gated: the user object only, a fresh link by email
    response = JSONResponse(result, status_code=status)
    if not no_jwt:
        now = int(clock.now())
        policy = token_policy(reg, app)
        doc = {"auth_time": now, "authenticationType": auth_type, "metaData": meta or {}, "amr": list(amr)}
        refresh_row = None
        if app is not None and policy.login_refresh_tokens:
            result["refreshToken"], refresh_row = await refresh.create(reg, user_id=user["id"], app=app, doc=doc)
            result["refreshTokenId"] = refresh_row["id"]
        sid = refresh_row["family_id"] if refresh_row else None
        result["token"], result["tokenExpirationInstant"], _ = await access.issue(
            reg, user=user, app=app, registration=registration, auth_type=auth_type, auth_time=now, sid=sid,
            grant_id=sid, amr=amr)
        response = JSONResponse(result, status_code=status)
        cookies.set_cookie(request, response, cookies.ACCESS_TOKEN, result["token"], max_age=None)
        if refresh_row is not None:
            max_age = (refresh_row["expires_instant"] - clock.now_ms()) // 1000
            cookies.set_cookie(request, response, cookies.REFRESH_TOKEN, result["refreshToken"], max_age=max_age)
    return response
