"""`/account`: the signed-in account page (FusionAuth's self-service account page), for the user
of the browser's SSO session: their email and whether it is verified, and a form to change the
password (current password required; the other sessions end, this one stays).

Other features add sections: `SECTIONS` holds async callables `(request, session) -> HTML`,
rendered in order below the password form (multi-factor authentication registers its own).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from authgate.lifecycle import Refused
from authgate.lifecycle.app_settings import is_verified
from authgate.lifecycle.change_password import change_with_current
from authgate.registry import Registry
from authgate.sessions import sso
from authgate.ui import forms
from authgate.ui.pages import render
from authgate.web import sso_cookies

router = APIRouter(include_in_schema=False)
PATH = "/account"
Section = Callable[[Request, sso.SsoSession], Awaitable[str]]
SECTIONS: list[Section] = []


async def _show(request: Request, session: sso.SsoSession, *, notice: str | None = None,
                errors: Refused | None = None) -> Response:
    sections = [await section(request, session) for section in SECTIONS]
    user = session.user
    return forms.page(request, "account.html", PATH, errors=errors, notice=notice, email=user["doc"].get("email")
                      or user["doc"].get("username"), verified=is_verified(user), sections=sections,
                      hidden=forms.carried(request.query_params),
                      min_length=forms.registry(request).settings.password_min_length)


def _signed_out() -> Response:
    return render("message.html", status=401, title="You are not logged in", tone="error", paragraphs=[
        "Log in to an application first, then come back to this page."], links=[])


@router.get(PATH)
async def show(request: Request) -> Response:
    session = await sso_cookies.current(forms.registry(request), request)
    return await _show(request, session) if session else _signed_out()


@router.post(PATH + "/password")
@forms.checked("account change-password")
async def change_password(request: Request, reg: Registry, form: dict[str, str]) -> Response:
    session = await sso_cookies.current(reg, request)
    if session is None:
        return _signed_out()
    try:
        await change_with_current(reg, session.user, form.get("currentPassword"), form.get("password"),
                                  keep_session_id=session.id, client_id=form.get("client_id"))
    except Refused as exc:
        return await _show(request, session, errors=exc)
    session = await sso_cookies.current(reg, request) or session
    return await _show(request, session, notice="Your password was changed. Your other sessions were signed out.")


def add_section(section: Section) -> Section:
    """For features with their own part of the account page (e.g. two-factor methods)."""
    SECTIONS.append(section)
    return section


__all__: list[Any] = ["router", "add_section"]
