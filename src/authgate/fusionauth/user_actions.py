"""FusionAuth's forgot-password, change-password and verify-email APIs, over the core in
authgate/lifecycle/ (the hosted pages use the same functions).

- `POST /api/user/forgot-password` (API key): `{loginId, applicationId, sendForgotPasswordEmail}`;
  200 `{changePasswordId}` when not emailing, 200 `{}` when emailing; 404 unknown user.
- `GET /api/user/change-password/{changePasswordId}`: 200 while the id is usable, else 404.
- `POST /api/user/change-password/{changePasswordId}` (or the id in the body): `{password}`;
  200; 404 for an unknown, used or expired id; 400 for a password the policy refuses.
- `POST /api/user/change-password`: `{currentPassword, password}` with the user's JWT
  (`Authorization: Bearer`), or `{loginId, currentPassword, password}` with an API key.
- `POST /api/user/verify-email` `{verificationId}`: 200, `user.verified` becomes true; 404 otherwise.
  `PUT /api/user/verify-email?email=` (API key) re-sends: 200 `{verificationId}`.
Every success that sets a password ends the user's sessions and refresh tokens (lifecycle/change_password.py).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate.errors import ApiError, field_error, not_found, unauthorized
from authgate.fusionauth.auth import api_key, registry, require_api_key
from authgate.fusionauth.jwt_api import validate_access_token
from authgate.lifecycle import Refused, reset_password, verify_email
from authgate.lifecycle.app_settings import is_verified
from authgate.lifecycle.change_password import change_with_current
from authgate.accounts import usable
from authgate.registry import Registry
from authgate.tokens import jwt
from authgate.shapes import Body, Shape
from authgate.web.bodies import declares, read_body

router = APIRouter()
MAX_LOGIN_ID = 320

# What each handler reads; also what OpenAPI publishes.
FORGOT = Body(Shape({"loginId": str, "email": str, "username": str, "applicationId": str,
                     "sendForgotPasswordEmail": bool, "sendForgotPasswordMessage": bool},
                    description="loginId (or email, or username) names the user."))
NEW_PASSWORD = Body(Shape({"password": str}, required=("password",)))
CHANGE = Body(Shape({"changePasswordId": str, "loginId": str, "currentPassword": str, "password": str},
                    required=("password",),
                    description="With changePasswordId; or currentPassword with the user's JWT; or loginId and currentPassword with an API key."))
VERIFY = Body(Shape({"verificationId": str}, required=("verificationId",)))


def _refused(exc: Refused) -> ApiError:
    if exc.field in ("changePasswordId", "verificationId"):
        return not_found(exc.field)
    return field_error(exc.field, exc.code, exc.message)


async def _app_or_400(reg: Registry, app_id: Any) -> dict[str, Any] | None:
    if app_id is None:
        return None
    app = await reg.apps.get(app_id) if isinstance(app_id, str) else None
    if app is None:
        raise field_error("applicationId", "invalid", "The [applicationId] does not identify an application.")
    return app


def _string(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value.strip() and len(value) <= MAX_LOGIN_ID:
            return value
    return None


# Behind the API-key dependency (not a check inside the handler), so OpenAPI declares the key and
# the front door (web/fastlane.py), which serves only request-only endpoints, leaves it to FastAPI.
@router.post("/api/user/forgot-password", dependencies=[Depends(require_api_key)])
@declares(FORGOT)
async def forgot_password(request: Request) -> Response:
    reg = registry(request)
    body = await read_body(request)
    login_id = _string(body, "loginId", "email", "username")
    if login_id is None:
        raise field_error("loginId", "blank", "You must specify the [loginId] field.")
    app = await _app_or_400(reg, body.get("applicationId"))
    send = body.get("sendForgotPasswordEmail", body.get("sendForgotPasswordMessage", True)) is not False
    user = await reg.db.users.find_by_login_id(login_id)
    if user is None or not usable(user):
        raise not_found("user")
    if send and not user["doc"].get("email"):
        raise ApiError(422, general_errors=[{"code": "[MissingEmail]", "message": "The user has no email address."}])
    value = await reset_password.start(reg, user, app["id"] if app else None, send_email=send,
                                       app_name=app["name"] if app else "authgate")
    return JSONResponse({} if send else {"changePasswordId": value})


@router.get("/api/user/change-password/{change_password_id}")
async def check_change_password_id(request: Request, change_password_id: str) -> Response:
    if await reset_password.find(registry(request), change_password_id) is None:
        raise not_found("changePasswordId")
    return Response(status_code=200)


async def _with_id(reg: Registry, change_password_id: Any, body: dict[str, Any]) -> Response:
    try:
        await reset_password.complete(reg, change_password_id, body.get("password"))
    except Refused as exc:
        raise _refused(exc) from None
    return JSONResponse({})


@router.post("/api/user/change-password/{change_password_id}")
@declares(NEW_PASSWORD)
async def change_password_with_id(request: Request, change_password_id: str) -> Response:
    return await _with_id(registry(request), change_password_id, await read_body(request))


@router.post("/api/user/change-password")
@declares(CHANGE)
async def change_password(request: Request) -> Response:
    reg = registry(request)
    body = await read_body(request)
    if body.get("changePasswordId") is not None:
        return await _with_id(reg, body.get("changePasswordId"), body)
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        try:
            claims = await validate_access_token(reg, header[7:].strip())
        except jwt.TokenInvalid:
            raise unauthorized() from None
        if (claims.get("cnf") or {}).get("jkt"):  # a DPoP-bound token is never a bearer credential
            raise unauthorized()
        user = await reg.db.users.get(str(claims.get("sub")))
    else:
        if await api_key(request) is None:
            raise unauthorized()
        login_id = _string(body, "loginId")
        if login_id is None:
            raise field_error("loginId", "blank", "You must specify the [loginId] field.")
        user = await reg.db.users.find_by_login_id(login_id)
    if user is None or not usable(user):
        raise not_found("user")
    try:
        await change_with_current(reg, user, body.get("currentPassword"), body.get("password"))
    except Refused as exc:
        raise _refused(exc) from None
    return JSONResponse({})


async def _verify(reg: Registry, verification_id: Any) -> Response:
    try:
        await verify_email.complete(reg, verification_id)
    except Refused as exc:
        raise _refused(exc) from None
    return Response(status_code=200)


@router.post("/api/user/verify-email")
@declares(VERIFY)
async def verify(request: Request) -> Response:
    return await _verify(registry(request), (await read_body(request)).get("verificationId"))


@router.post("/api/user/verify-email/{verification_id}")
async def verify_with_id(request: Request, verification_id: str) -> Response:
    return await _verify(registry(request), verification_id)


@router.put("/api/user/verify-email", dependencies=[Depends(require_api_key)])
async def resend(request: Request, email: str | None = None, applicationId: str | None = None,
                 sendVerificationEmail: bool = True) -> Response:
    reg = registry(request)
    if not email or len(email) > MAX_LOGIN_ID:
        raise field_error("email", "blank", "You must specify the [email] parameter.")
    app = await _app_or_400(reg, applicationId)
    user = await reg.db.users.find_by(email=email)
    if user is None:
        raise not_found("user")
    if is_verified(user):
        raise ApiError(400, general_errors=[{"code": "[AlreadyVerified]", "message": "The email is already verified."}])
    value = await verify_email.start(reg, user, app["id"] if app else None, send_email=sendVerificationEmail,
                                     app_name=app["name"] if app else "authgate")
    return JSONResponse({"verificationId": value})
