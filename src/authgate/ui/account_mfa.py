"""The signed-in user's security page, `/account/mfa` (signed in = a live SSO session): set up an
authenticator app (QR code rendered here with segno, no external service; a confirmation code
proves the app works before anything is stored), see the recovery codes once, regenerate them,
remove an app (with a fresh code), register, rename and remove passkeys.

Every form is CSRF-protected (ui/csrf.py, cookie scoped to /account); every change goes
through the same core functions as the FusionAuth APIs (authgate/mfa/). A secret being set up
waits server-side (sealed, single use, expiring), never in the page's form.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from authgate.errors import OAuthError
from authgate.mfa import factors, passkeys, sealing, totp
from authgate.oauth2 import params as form_params
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.sessions import sso
from authgate.ui import csrf
from authgate.ui.pages import error_page, render
from authgate.web import sso_cookies
from authgate.web.context import registry

router = APIRouter(include_in_schema=False)
log = logging.getLogger("authgate.ui.account_mfa")

PATH = "/account/mfa"
ENROL = "totp.enrol"
ISSUER_LABEL = "authgate"


class _Refused(Exception):
    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.status = message, status


async def _signed_in(request: Request) -> sso.SsoSession:
    session = await sso_cookies.current(registry(request), request)
    if session is None:
        raise _Refused("You are not signed in. Sign in to one of your applications, then come back to this page.", 401)
    return session


async def _form(request: Request) -> Params:
    """The posted form, after the CSRF check (double submit + Origin/Sec-Fetch-Site)."""
    try:
        params = await form_params.read(request, query=False)
        params.check_all()
    except OAuthError as exc:
        raise _Refused("The form could not be read.", 400) from exc
    why = csrf.refusal(request, registry(request).issuer, params.get(csrf.FIELD))
    if why is not None:
        log.info("account form refused: %s", why)
        raise _Refused("This form expired or came from another site. Reload the page and try again.")
    return params


def _label(user: dict[str, Any]) -> str:
    return str(user.get("email") or user.get("username") or user["id"])


async def _page(request: Request, session: sso.SsoSession, *, template: str = "account_mfa.html", status: int = 200,
                **extra: Any) -> Response:
    reg, user = registry(request), session.user
    token = csrf.token(request)
    keys = [(p, time.strftime("%Y-%m-%d", time.gmtime(p.insert_instant / 1000)))
            for p in await passkeys.for_user(reg, user["id"])]
    with_form = template == "account_mfa.html"  # the page with "Add a passkey": a challenge for it
    options = await passkeys.registration_options(reg, user, "Passkey") if with_form else None
    response = render(template, status=status, scripts=with_form, csrf_token=token, user_label=_label(user),
                      methods=await reg.db.mfa_methods.for_user(user["id"]), passkeys=keys,
                      remaining=await reg.db.recovery_codes.remaining(user["id"]),
                      register_options=json.dumps(options), **extra)
    csrf.set_cookie(request, response, token, "/account")
    return response


def _refusal(exc: _Refused) -> Response:
    return error_page(exc.message, exc.status)


def _back(notice: str) -> Response:
    return RedirectResponse(f"{PATH}?done={notice}", status_code=303)


NOTICES = {"totp-removed": "The authenticator app was removed.", "passkey-added": "Your passkey was added.",
           "passkey-removed": "The passkey was removed.", "passkey-renamed": "The passkey was renamed."}


@router.get(PATH)
async def show(request: Request, done: str | None = None) -> Response:
    try:
        session = await _signed_in(request)
    except _Refused as exc:
        return _refusal(exc)
    return await _page(request, session, notice=NOTICES.get(done or ""))


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no image request, nothing for the CSP to allow)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#1d1f23", omitsize=True,
                                                     svgclass="qr", title="QR code for your authenticator app"))


async def _enrol_page(request: Request, session: sso.SsoSession, secret: bytes, enrol_id: str,
                      error: str | None = None) -> Response:
    uri = totp.provisioning_uri(secret, _label(session.user), ISSUER_LABEL)
    return await _page(request, session, template="account_totp.html", status=400 if error else 200,
                       qr=_qr_svg(uri), secret_text=totp.base32(secret), enrol_id=enrol_id, error=error)


@router.post(f"{PATH}/totp/start")
async def totp_start(request: Request) -> Response:
    try:
        session = await _signed_in(request)
        await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    reg, user_id = registry(request), session.user["id"]
    secret = totp.new_secret()
    return await _enrol_page(request, session, secret, await _new_enrolment(reg, user_id, secret))


async def _new_enrolment(reg: Registry, user_id: str, secret: bytes) -> str:
    """Keep the secret being set up server-side (sealed, expiring) under a fresh single-use id."""
    enrol_id = secrets.token_urlsafe(24)
    await reg.db.mfa_challenges.create(enrol_id, ENROL, user_id, reg.settings.two_factor_ttl_seconds,
                                       {"secret": sealing.seal(secret, user_id, reg.settings.mfa_secret_key)})
    return enrol_id


async def _waiting_secret(reg: Registry, enrol_id: str | None, user_id: str) -> bytes | None:
    """The secret of this set-up, taken (single use: a form posted twice cannot enrol twice)."""
    if not enrol_id or len(enrol_id) > 64:
        return None
    row = await reg.db.mfa_challenges.consume(enrol_id, ENROL)
    if row is None or row["user_id"] != user_id:
        return None
    return sealing.open_sealed(row["doc"]["secret"], user_id, reg.settings.mfa_secret_key)


@router.post(f"{PATH}/totp")
async def totp_confirm(request: Request) -> Response:
    try:
        session = await _signed_in(request)
        form = await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    reg, user_id = registry(request), session.user["id"]
    secret = await _waiting_secret(reg, form.get("enrolId"), user_id)
    if secret is None:
        return error_page("This setup expired. Start again from your security page.", 400)
    try:
        _, codes = await factors.enable_totp(reg, user_id, secret, (form.get("code") or "").strip())
    except factors.BadCode:  # the same secret (the app already has it), under a new id
        return await _enrol_page(request, session, secret, await _new_enrolment(reg, user_id, secret),
                                 "That code does not match. Enter the code your app shows now.")
    return await _page(request, session, template="account_codes.html", codes=codes,
                       notice="Your authenticator app is set up.")


@router.post(f"{PATH}/totp/{{method_id}}/remove")
async def totp_remove(request: Request, method_id: str) -> Response:
    try:
        session = await _signed_in(request)
        form = await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    try:
        await factors.remove(registry(request), session.user["id"], method_id[:36], form.get("code") or "")
    except LookupError:
        return error_page("That authenticator app is not on your account.", 404)
    except (factors.BadCode, factors.Locked):
        return await _page(request, session, status=400, error="The code was not accepted, so nothing was removed.")
    return _back("totp-removed")


@router.post(f"{PATH}/recovery-codes")
async def recovery_regenerate(request: Request) -> Response:
    try:
        session = await _signed_in(request)
        await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    reg, user_id = registry(request), session.user["id"]
    if not await reg.db.mfa_methods.for_user(user_id):
        return error_page("Recovery codes come with an authenticator app; set one up first.", 400)
    codes = await factors.new_recovery_codes(reg, user_id)
    return await _page(request, session, template="account_codes.html", codes=codes,
                       notice="Your old recovery codes no longer work.")


@router.post(f"{PATH}/passkeys")
async def passkey_add(request: Request) -> Response:
    try:
        session = await _signed_in(request)
        form = await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    reg, user_id = registry(request), session.user["id"]
    try:
        passkey = await passkeys.register(reg, user_id, json.loads(form.get("webauthnResponse") or ""))
    except (ValueError, passkeys.PasskeyRefused) as exc:
        log.info("account passkey registration refused for %s: %s", user_id, exc)
        return await _page(request, session, status=400, error="The passkey could not be added. Try again.")
    name = (form.get("name") or "").strip()
    if name:
        await passkeys.rename(reg, user_id, passkey.id, name)
    return _back("passkey-added")


@router.post(f"{PATH}/passkeys/{{passkey_id}}/rename")
async def passkey_rename(request: Request, passkey_id: str) -> Response:
    try:
        session = await _signed_in(request)
        form = await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    if not await passkeys.rename(registry(request), session.user["id"], passkey_id[:36], form.get("name") or ""):
        return error_page("That passkey is not on your account, or the name was empty.", 400)
    return _back("passkey-renamed")


@router.post(f"{PATH}/passkeys/{{passkey_id}}/remove")
async def passkey_remove(request: Request, passkey_id: str) -> Response:
    try:
        session = await _signed_in(request)
        await _form(request)
    except _Refused as exc:
        return _refusal(exc)
    if not await passkeys.remove(registry(request), session.user["id"], passkey_id[:36]):
        return error_page("That passkey is not on your account.", 404)
    return _back("passkey-removed")
