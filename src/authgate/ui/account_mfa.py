"""The signed-in user's security page, `/account/mfa` (signed in = a live SSO session): set up an
authenticator app (QR code rendered here with segno, no external service; a confirmation code
proves the app works before anything is stored), see the recovery codes once, regenerate them,
remove an app, register, rename and remove passkeys. Removing an app or a passkey, making new
recovery codes, and adding a factor to an account that has one each need a fresh second factor
(mfa/fresh.py: a code, a recovery code or a passkey, made for that change), so a stolen session
cookie can neither strip the account's MFA nor add the thief's own passkey. Adding the first
factor, with none to ask for, needs a recent sign-in (sessions/privileged.py); after that window
the page asks for the password again, which starts a new session (`/account/mfa/reauthenticate`).

Every form is CSRF-protected (ui/csrf.py, cookie scoped to /account); every change goes
through the same core functions as the FusionAuth APIs (authgate/mfa/). A secret being set up
waits server-side (sealed, single use, expiring), never in the page's form.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from authgate.accounts import LoginRefused
from authgate.errors import OAuthError
from authgate.mfa import factors, fresh, passkeys, sealing, totp
from authgate.oauth2 import params as form_params
from authgate.oauth2.params import Params
from authgate.registry import Registry
from authgate.sessions import privileged, sso
from authgate.ui import csrf
from authgate.ui.pages import error_page, render
from authgate.web import sso_cookies
from authgate.web.context import registry

router = APIRouter(include_in_schema=False)
log = logging.getLogger("authgate.ui.account_mfa")

PATH = "/account/mfa"
ENROL = "totp.enrol"
ISSUER_LABEL = "authgate"
MAX_ID_CHARS = 36  # method ids are 4 characters, passkey ids UUIDs


class _Refused(Exception):
    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Posted:
    """A form posted on the security page by a signed-in user, its CSRF token checked."""
    request: Request
    session: sso.SsoSession
    form: Params

    @property
    def reg(self) -> Registry:
        return registry(self.request)

    @property
    def user_id(self) -> str:
        return str(self.session.user["id"])


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


Handler = Callable[..., Awaitable[Response]]


def _post(path: str) -> Callable[[Handler], Handler]:
    """Route a form of this page: the handler runs only for a signed-in user whose form passed
    the CSRF check, and gets `Posted` and the path's ids (cut to the longest id there is)."""
    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                posted = Posted(request, await _signed_in(request), await _form(request))
            except _Refused as exc:
                return error_page(exc.message, exc.status)
            return await handler(posted, **{k: str(v)[:MAX_ID_CHARS] for k, v in request.path_params.items()})
        endpoint.__name__ = handler.__name__
        router.post(path)(endpoint)
        return handler
    return register


def _label(user: dict[str, Any]) -> str:
    return str(user.get("email") or user.get("username") or user["id"])


async def _page(request: Request, session: sso.SsoSession, *, template: str = "account_mfa.html", status: int = 200,
                **extra: Any) -> Response:
    reg, user = registry(request), session.user
    token = csrf.token(request)
    keys = [(p, time.strftime("%Y-%m-%d", time.gmtime(p.insert_instant / 1000)))
            for p in await passkeys.for_user(reg, user["id"])]
    methods = await reg.db.mfa_methods.for_user(user["id"])
    # No factor to confirm with, and the sign-in is not recent: adding one asks for the password first.
    reauthenticate = not methods and not keys and not privileged.recent(reg, session)
    with_form = template == "account_mfa.html" and not reauthenticate  # "Add a passkey": a challenge for it
    options = await passkeys.registration_options(reg, user, "Passkey") if with_form else None
    # One challenge for the page's "confirm with a passkey" buttons: one form is posted per view.
    confirm = await fresh.passkey_options(reg, user["id"]) if with_form else None
    response = render(template, status=status, scripts=with_form, csrf_token=token, user_label=_label(user),
                      methods=methods, passkeys=keys, remaining=await reg.db.recovery_codes.remaining(user["id"]),
                      register_options=json.dumps(options), confirm_options=json.dumps(confirm) if confirm else "",
                      reauthenticate=reauthenticate, has_password=bool(user.get("password_hash")),
                      window_minutes=max(1, reg.settings.privileged_session_max_age_seconds // 60), **extra)
    csrf.set_cookie(request, response, token, "/account")
    return response


def _back(notice: str) -> Response:
    return RedirectResponse(f"{PATH}?done={notice}", status_code=303)


NOTICES = {"totp-removed": "The authenticator app was removed.", "passkey-added": "Your passkey was added.",
           "totp-all-removed": "You used a recovery code, so every authenticator app was removed, and the "
                               "recovery codes with them.",
           "passkey-removed": "The passkey was removed.", "passkey-renamed": "The passkey was renamed.",
           "reauthenticated": "You signed in again. You can add a second factor now."}
NOT_FRESH = "{what} needs a current code from your authenticator app, a recovery code, or your passkey. Nothing was {done}."
LOCKED = "Too many wrong codes: your account is locked for a while. Nothing was {done}."
SIGN_IN_AGAIN = "You signed in too long ago to add a first second factor. Enter your password again below. Nothing was added."
REAUTH_REFUSED = {"locked": "Your account is temporarily locked after too many failed attempts. Try again later.",
                  "bad_password": "That password is not correct."}


@router.get(PATH)
async def show(request: Request, done: str | None = None) -> Response:
    try:
        session = await _signed_in(request)
    except _Refused as exc:
        return error_page(exc.message, exc.status)
    return await _page(request, session, notice=NOTICES.get(done or ""))


async def _fresh_factor(post: Posted, what: str, done: str, assertion_field: str = "webauthnResponse") -> str | Response:
    """The second factor the user just proved for this change (mfa/fresh.py), or the page again
    with the reason nothing changed."""
    try:
        return await fresh.check(post.reg, post.user_id, code=post.form.get("code"),
                                 assertion=post.form.get(assertion_field))
    except fresh.NotFresh as exc:
        message = (LOCKED if exc.locked else NOT_FRESH).format(what=what, done=done)
        return await _page(post.request, post.session, status=400, error=message)


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG (no image request, nothing for the CSP to allow)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#1d1f23", omitsize=True,
                                                     svgclass="qr", title="QR code for your authenticator app"))


async def _enrol_page(post: Posted, secret: bytes, enrol_id: str, error: str | None = None) -> Response:
    uri = totp.provisioning_uri(secret, _label(post.session.user), ISSUER_LABEL)
    return await _page(post.request, post.session, template="account_totp.html", status=400 if error else 200,
                       qr=_qr_svg(uri), secret_text=totp.base32(secret), enrol_id=enrol_id, error=error)


async def _may_add(post: Posted, assertion_field: str = "webauthnResponse") -> Response | None:
    """Adding a factor to an account that has one takes a fresh one too: otherwise whoever holds
    the session cookie adds their own passkey (which signs in alone) or app. The first factor, with
    none to ask for, takes a recent sign-in (sessions/privileged.py). None: go ahead."""
    if not await factors.has_any(post.reg, post.user_id):
        if privileged.recent(post.reg, post.session):
            return None
        log.info("first factor for user %s refused: signed in too long ago", post.user_id)
        return await _page(post.request, post.session, status=403, error=SIGN_IN_AGAIN)
    factor = await _fresh_factor(post, "Adding a second factor", "added", assertion_field)
    return factor if isinstance(factor, Response) else None


@_post(f"{PATH}/totp/start")
async def totp_start(post: Posted) -> Response:
    refused = await _may_add(post)
    if refused is not None:
        return refused
    secret = totp.new_secret()
    return await _enrol_page(post, secret, await _new_enrolment(post.reg, post.user_id, secret))


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


@_post(f"{PATH}/totp")
async def totp_confirm(post: Posted) -> Response:
    reg, user_id = post.reg, post.user_id
    secret = await _waiting_secret(reg, post.form.get("enrolId"), user_id)
    if secret is None:
        return error_page("This setup expired. Start again from your security page.", 400)
    try:
        _, codes = await factors.enable_totp(reg, user_id, secret, (post.form.get("code") or "").strip())
    except factors.BadCode:  # the same secret (the app already has it), under a new id
        return await _enrol_page(post, secret, await _new_enrolment(reg, user_id, secret),
                                 "That code does not match. Enter the code your app shows now.")
    return await _page(post.request, post.session, template="account_codes.html", codes=codes,
                       notice="Your authenticator app is set up.")


@_post(f"{PATH}/totp/{{method_id}}/remove")
async def totp_remove(post: Posted, method_id: str) -> Response:
    if not any(m["id"] == method_id for m in await post.reg.db.mfa_methods.for_user(post.user_id)):
        return error_page("That authenticator app is not on your account.", 404)
    factor = await _fresh_factor(post, "Removing an authenticator app", "removed")
    if isinstance(factor, Response):
        return factor
    await factors.remove_proven(post.reg, post.user_id, method_id, factor)
    return _back("totp-all-removed" if factor == "recovery" else "totp-removed")


@_post(f"{PATH}/recovery-codes")
async def recovery_regenerate(post: Posted) -> Response:
    if not await post.reg.db.mfa_methods.for_user(post.user_id):
        return error_page("Recovery codes come with an authenticator app; set one up first.", 400)
    factor = await _fresh_factor(post, "Making new recovery codes", "changed")
    if isinstance(factor, Response):
        return factor
    codes = await factors.new_recovery_codes(post.reg, post.user_id)
    return await _page(post.request, post.session, template="account_codes.html", codes=codes,
                       notice="Your old recovery codes no longer work.")


@_post(f"{PATH}/passkeys")
async def passkey_add(post: Posted) -> Response:
    refused = await _may_add(post, "confirmResponse")  # webauthnResponse is the new passkey's
    if refused is not None:
        return refused
    try:
        passkey = await passkeys.register(post.reg, post.user_id, json.loads(post.form.get("webauthnResponse") or ""))
    except (ValueError, passkeys.PasskeyRefused) as exc:
        log.info("account passkey registration refused for %s: %s", post.user_id, exc)
        return await _page(post.request, post.session, status=400, error="The passkey could not be added. Try again.")
    name = (post.form.get("name") or "").strip()
    if name:
        await passkeys.rename(post.reg, post.user_id, passkey.id, name)
    return _back("passkey-added")


@_post(f"{PATH}/passkeys/{{passkey_id}}/rename")
async def passkey_rename(post: Posted, passkey_id: str) -> Response:
    if not await passkeys.rename(post.reg, post.user_id, passkey_id, post.form.get("name") or ""):
        return error_page("That passkey is not on your account, or the name was empty.", 400)
    return _back("passkey-renamed")


@_post(f"{PATH}/passkeys/{{passkey_id}}/remove")
async def passkey_remove(post: Posted, passkey_id: str) -> Response:
    if not any(p.id == passkey_id for p in await passkeys.for_user(post.reg, post.user_id)):
        return error_page("That passkey is not on your account.", 404)
    factor = await _fresh_factor(post, "Removing a passkey", "removed")
    if isinstance(factor, Response):
        return factor
    await passkeys.remove(post.reg, post.user_id, passkey_id)  # may be the one that just confirmed it
    return _back("passkey-removed")


@_post(f"{PATH}/reauthenticate")
async def reauthenticate(post: Posted) -> Response:
    """Sign in again with the password (the login's checks) to add a first factor: a new session,
    under a new cookie, and back to the page."""
    try:
        _, cookie_value = await privileged.reauthenticate(post.reg, post.session, post.form.get("password") or "")
    except privileged.NoPassword:
        return error_page("Your account has no password to sign in again with. Set one with \"Forgot your "
                          "password?\" on the login page, then come back.", 400)
    except LoginRefused as exc:
        log.info("re-authentication of user %s refused (%s): %s", post.user_id, exc.reason, exc.detail)
        message = REAUTH_REFUSED.get(exc.reason, REAUTH_REFUSED["bad_password"])
        return await _page(post.request, post.session, status=400, error=message)
    response = _back("reauthenticated")
    sso_cookies.set_cookie(post.reg, post.request, response, cookie_value)
    return response
