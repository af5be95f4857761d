"""FusionAuth's WebAuthn APIs over authgate/mfa/passkeys.py.

- `POST /api/webauthn/register/start` (API key, as in FusionAuth: a passkey signs in alone, so
  the user's access token, which may be stolen, cannot add one): `{userId, displayName, name,
  workflow}` -> `{options}` for navigator.credentials.create().
- `POST /api/webauthn/register/complete`: `{userId, credential, origin, rpId}` -> `{credential}`.
- `POST /api/webauthn/start` (API key): `{applicationId, loginId or userId, workflow}` ->
  `{options}` for navigator.credentials.get(). *Ours*: without a login id, a discoverable
  (passkey) request; with a `twoFactorId`, the passkey as the second factor of a 242.
- `POST /api/webauthn/login` (no key): `{credential, applicationId, twoFactorId?}` -> the Login
  API's 200/202 answer. 400 for any refused assertion (the log says why).
- `GET /api/webauthn?userId=`, `DELETE /api/webauthn/{id}` (API key): list and remove.

The relying party is the configured issuer; `origin` and `rpId` in a request must name it.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from authgate.accounts import usable
from authgate.errors import field_error, general_error, not_found, unauthorized
from authgate.fusionauth.auth import api_key, registry
from authgate.fusionauth.callers import target_user
from authgate.fusionauth.login import complete
from authgate.mfa import amr, passkeys, pending
from authgate.registry import Registry
from authgate.shapes import Body, Shape
from authgate.web import cross_site
from authgate.web.bodies import declares, read_body

# The bodies of the WebAuthn endpoints: what each handler reads, and what OpenAPI publishes.
_RP = {"origin": str, "rpId": str}
REGISTER_START = Body(Shape({"userId": str, "name": str, "displayName": str, "workflow": str}, required=("userId",)))
REGISTER_COMPLETE = Body(Shape({"userId": str, "credential": dict, **_RP}, required=("credential",)))
START = Body(Shape({"userId": str, "applicationId": str, "loginId": str, "twoFactorId": str, "workflow": str}),
             ids=("twoFactorId",))
LOGIN = Body(Shape({"credential": dict, "applicationId": str, "twoFactorId": str, "noJWT": bool, **_RP},
                   required=("credential",)), ids=("twoFactorId",))

router = APIRouter()
log = logging.getLogger("authgate.webauthn")

REFUSED = general_error(400, "[WebAuthnFailed]", "The WebAuthn response could not be verified.")


def _check_rp(reg: Registry, body: dict[str, Any]) -> None:
    rp_id, origin = passkeys.relying_party(reg)
    if body.get("rpId") not in (None, rp_id):
        raise field_error("rpId", "invalid", "The [rpId] is not this server's relying party id.")
    if body.get("origin") not in (None, origin):
        raise field_error("origin", "invalid", "The [origin] is not this server's origin.")


def _credential(body: dict[str, Any]) -> dict[str, Any]:
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise field_error("credential", "blank", "You must specify the [credential] object.")
    return credential


@router.post("/api/webauthn/register/start")
@declares(REGISTER_START)
async def register_start(request: Request) -> Response:
    reg = registry(request)
    if await api_key(request) is None:
        raise unauthorized()
    body = await read_body(request)
    if body.get("userId") is None:  # an API key names the user (the declaration's types allow it absent)
        raise field_error("userId", "blank", "You must specify the [userId] field.")
    user = await target_user(request, body.get("userId"))
    name, display = body.get("name"), body.get("displayName")
    options = await passkeys.registration_options(reg, user, name if isinstance(name, str) else "Passkey",
                                                  display if isinstance(display, str) else None)
    return JSONResponse({"options": options})


@router.post("/api/webauthn/register/complete")
@declares(REGISTER_COMPLETE)
async def register_complete(request: Request) -> Response:
    reg = registry(request)
    body = await read_body(request)
    user = await target_user(request, body.get("userId"))
    _check_rp(reg, body)
    try:
        passkey = await passkeys.register(reg, user["id"], _credential(body))
    except passkeys.PasskeyRefused as exc:
        log.info("passkey registration refused for user %s: %s", user["id"], exc)
        raise REFUSED from None
    return JSONResponse({"credential": passkey.public()})


@router.post("/api/webauthn/start")
@declares(START)
async def start(request: Request) -> Response:
    reg = registry(request)
    if await api_key(request) is None:
        raise unauthorized()
    body = await read_body(request)
    user_id = body.get("userId")
    login_id = body.get("loginId")
    two_factor = body.get("twoFactorId")
    if two_factor is not None:
        found = await pending.find(reg, two_factor, body.get("applicationId"))
        if found is None:
            raise not_found("twoFactorId")
        user_id = found.user_id
    elif isinstance(login_id, str) and login_id:
        user = await reg.db.users.find_by_login_id(login_id[:320])
        user_id = user["id"] if user else f"unknown:{login_id[:40]}"  # options no credential satisfies
    elif user_id is not None and (not isinstance(user_id, str) or len(user_id) > 64):
        raise field_error("userId", "invalid", "The [userId] is invalid.")
    options = await passkeys.authentication_options(reg, user_id, passwordless=two_factor is None)
    return JSONResponse({"options": options})


@router.post("/api/webauthn/login")
@declares(LOGIN)
async def login(request: Request) -> Response:
    reg = registry(request)
    await cross_site.guard(request, sets_cookies=True)  # it finishes a login: the token cookies
    body = await read_body(request)
    _check_rp(reg, body)
    app_id = body.get("applicationId")
    app = None
    if app_id is not None:
        app = await reg.apps.get(app_id)
        if app is None or not app["active"]:
            raise field_error("applicationId", "invalid", "The [applicationId] does not identify an active application.")
    found = None
    if body.get("twoFactorId") is not None:
        found = await pending.find(reg, body.get("twoFactorId"), app_id)
        if found is None:
            raise not_found("twoFactorId")
    try:
        asserted = await passkeys.authenticate(reg, _credential(body))
    except passkeys.PasskeyRefused as exc:
        log.info("passkey login refused: %s", exc)
        raise REFUSED from None
    user = await reg.db.users.get(asserted.passkey.user_id)
    if not usable(user) or (found is not None and found.user_id != asserted.passkey.user_id):
        log.info("passkey login refused: user %s unusable or not the pending login's", asserted.passkey.user_id)
        raise REFUSED
    assert user is not None
    if found is not None:
        if not await pending.finish(reg, found):
            raise not_found("twoFactorId")
        factors_used = amr.with_factor(found.amr, "hwk", "user")
    elif not asserted.user_verified:
        raise REFUSED  # passwordless needs user verification (the challenge asked for it)
    else:
        factors_used = amr.passkey_alone(True)
    return await complete(request, reg, user, app, no_jwt=bool(body.get("noJWT")), meta=None, amr=factors_used,
                          auth_type="WEB_AUTHN" if found is None else "PASSWORD")


@router.get("/api/webauthn")
async def list_credentials(request: Request, userId: str | None = None) -> Response:
    reg = registry(request)
    user = await target_user(request, userId)
    return JSONResponse({"credentials": [p.public() for p in await passkeys.for_user(reg, user["id"])]})


@router.delete("/api/webauthn/{credential_id}")
async def delete_credential(request: Request, credential_id: str) -> Response:
    reg = registry(request)
    if await api_key(request) is None:
        raise unauthorized()
    row = await reg.db.webauthn_credentials.get(credential_id[:64])
    if row is None or not await passkeys.remove(reg, row["user_id"], row["id"]):
        raise not_found("WebAuthn credential")
    return Response(status_code=200)


