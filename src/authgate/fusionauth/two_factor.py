"""FusionAuth's Two Factor APIs over authgate/mfa/ (TOTP "authenticator" methods).

- `GET /api/two-factor/secret`: a fresh secret for enrolment (not stored until enabled).
- `POST /api/user/two-factor[/{userId}]`: enable with the secret and a confirmation code; the
  first method returns ten `recoveryCodes` (shown once: only digests are kept). 421 bad code.
- `DELETE /api/user/two-factor[/{userId}]?methodId=&code=` (or the same two in a JSON body, as
  FusionAuth's `disable_two_factor_with_request` sends them): remove, with a fresh code even
  with an API key; a recovery code removes every method (FusionAuth: the user lost them).
  421 bad code, 409 locked. A stolen access token alone cannot remove anything.
- `POST /api/user/two-factor/recovery-code/{userId}`: new recovery codes (old ones stop working).
  *Ours*: there is no GET, since stored codes cannot be read back.
- `POST /api/two-factor/login`: finish a login that answered 242. 421 bad code; 404 unknown,
  expired, spent or other-application `twoFactorId`; 409 locked out. *Ours*: a TOTP code is
  accepted once.
"""
from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import events
from authgate.accounts import usable
from authgate.errors import ApiError, field_error, general_error, not_found
from authgate.fusionauth.auth import registry
from authgate.fusionauth.callers import key_or_bearer, target_user
from authgate.fusionauth.login import complete
from authgate.mfa import amr, factors, pending, totp
from authgate.shapes import Body, Shape
from authgate.web import cross_site
from authgate.web.bodies import declares, read_body

# The bodies of the two-factor endpoints: what the handlers read, and what OpenAPI publishes.
TWO_FACTOR_BODY = Body(Shape({"method": str, "code": str, "secret": str, "secretBase32Encoded": str}, required=("code",)))
# FusionAuth's TwoFactorDisableRequest; its clients also send both in the query, which wins.
TWO_FACTOR_DISABLE_BODY = Body(Shape({"methodId": str, "code": str, "applicationId": str}), optional=True)
TWO_FACTOR_LOGIN_BODY = Body(Shape({"twoFactorId": str, "code": str, "applicationId": str, "noJWT": bool},
                                   required=("twoFactorId", "code")), ids=("twoFactorId",))

router = APIRouter()
log = logging.getLogger("authgate.two_factor")

BAD_CODE = ApiError(421, empty_body=True, detail="two-factor code refused")
LOCKED = general_error(409, "[UserLockedException]", "The user is locked, after too many failed attempts or by an administrator.")
MAX_CODE_CHARS = 64


def _code(body: dict[str, Any]) -> str:
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise field_error("code", "blank", "You must specify the [code] field.")
    if len(code) > MAX_CODE_CHARS:
        raise BAD_CODE
    return code


def _secret(body: dict[str, Any]) -> bytes:
    b32, std = body.get("secretBase32Encoded"), body.get("secret")
    if isinstance(b32, str) and b32:
        secret = totp.from_base32(b32)
    elif isinstance(std, str) and std and len(std) <= 256:
        try:
            secret = base64.b64decode(std, validate=True)
        except (binascii.Error, ValueError):
            secret = None
    else:
        raise field_error("secret", "blank", "You must specify the [secret] or [secretBase32Encoded] field.")
    if not secret or not 10 <= len(secret) <= 64:
        raise field_error("secret", "invalid", "The [secret] is not a valid two-factor secret.")
    return secret


@router.get("/api/two-factor/secret")
async def secret(request: Request) -> Response:
    await key_or_bearer(request)
    value = totp.new_secret()
    return JSONResponse({"secret": base64.b64encode(value).decode(), "secretBase32Encoded": totp.base32(value)})


async def _enable(request: Request, user_id: str | None) -> Response:
    reg = registry(request)
    user = await target_user(request, user_id)
    body = await read_body(request)
    if body.get("method", factors.AUTHENTICATOR) != factors.AUTHENTICATOR:
        raise field_error("method", "invalid", "Only the [authenticator] method is supported.")
    code, secret_bytes = _code(body), _secret(body)
    try:
        method, codes = await factors.enable_totp(reg, user["id"], secret_bytes, code.strip())
    except factors.BadCode:
        raise BAD_CODE from None
    result: dict[str, Any] = {"methods": [method.public()]}
    if codes is not None:
        result["recoveryCodes"] = codes
    return JSONResponse(result)


@router.post("/api/user/two-factor/{user_id}")
@declares(TWO_FACTOR_BODY)
async def enable_for_user(request: Request, user_id: str) -> Response:
    return await _enable(request, user_id)


@router.post("/api/user/two-factor", dependencies=[Depends(key_or_bearer)])  # checked before the body is read
@declares(TWO_FACTOR_BODY)
async def enable_self(request: Request) -> Response:
    return await _enable(request, None)


async def _disable(request: Request, user_id: str | None, method_id: str | None, code: str | None) -> Response:
    reg = registry(request)
    user = await target_user(request, user_id)
    body = await read_body(request)  # the query wins
    method_id = method_id if method_id is not None else body.get("methodId")
    code = code if code is not None else body.get("code")
    if not isinstance(method_id, str) or not method_id or len(method_id) > 36:
        raise field_error("methodId", "blank", "You must specify the [methodId] parameter.")
    checked = _code({"code": code})  # required: FusionAuth's disable always takes a code
    try:
        await factors.remove(reg, user["id"], method_id, checked)
    except LookupError:
        raise not_found("two-factor method") from None
    except factors.Locked:
        raise LOCKED from None
    except factors.BadCode:
        raise BAD_CODE from None
    return Response(status_code=200)


@router.delete("/api/user/two-factor/{user_id}")
@declares(TWO_FACTOR_DISABLE_BODY)
async def disable_for_user(request: Request, user_id: str, methodId: str | None = None, code: str | None = None) -> Response:
    return await _disable(request, user_id, methodId, code)


@router.delete("/api/user/two-factor")
@declares(TWO_FACTOR_DISABLE_BODY)
async def disable_self(request: Request, methodId: str | None = None, code: str | None = None) -> Response:
    return await _disable(request, None, methodId, code)


@router.post("/api/user/two-factor/recovery-code/{user_id}")
async def new_recovery_codes(request: Request, user_id: str) -> Response:
    reg = registry(request)
    user = await target_user(request, user_id)
    if not await factors.methods(reg, user["id"]):
        raise general_error(400, "[TwoFactorNotEnabled]", "Two-factor authentication is not enabled for the user.")
    return JSONResponse({"recoveryCodes": await factors.new_recovery_codes(reg, user["id"])})


@router.post("/api/two-factor/login")
@declares(TWO_FACTOR_LOGIN_BODY)
async def two_factor_login(request: Request) -> Response:
    reg = registry(request)
    await cross_site.guard(request, sets_cookies=True)  # it finishes a login: the token cookies
    body = await read_body(request)
    app_id = body.get("applicationId")
    found = await pending.find(reg, body.get("twoFactorId"), app_id if isinstance(app_id, str) else None)
    if found is None:
        raise not_found("twoFactorId")
    code = _code(body)
    user = await reg.db.users.get(found.user_id)
    if not usable(user):
        raise not_found("twoFactorId")
    assert user is not None
    try:
        kind = await factors.check_code(reg, user["id"], code)
    except factors.Locked:
        await events.second_factor_failed(reg, user["id"], found.application_id, "locked after too many failed logins")
        raise LOCKED from None
    except factors.BadCode as exc:
        await events.second_factor_failed(reg, user["id"], found.application_id, str(exc))
        raise BAD_CODE from None
    if not await pending.finish(reg, found):
        raise not_found("twoFactorId")  # spent by a concurrent request
    app = await reg.apps.get(found.application_id) if found.application_id else None
    log.info("two-factor login of user %s with %s", user["id"], kind)
    no_jwt = bool(body.get("noJWT", found.doc.get("noJWT")))
    return await complete(request, reg, user, app, no_jwt=no_jwt, meta=found.doc.get("metaData"),
                          amr=amr.with_factor(found.amr, "otp"))
