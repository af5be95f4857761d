"""What the account-lifecycle pages share (sign-up, forgot/reset password, verify email, account):
reading a form, the CSRF check (ui/csrf.py, the login form's defences), rendering a page with
each field's error beside it, and the authorize parameters a page carries back to the login.

Each page family has its own CSRF cookie path, disjoint from the login form's
(`/oauth2/authorize`), so a browser never sends two `authgate.csrf` cookies to one form.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from authgate.lifecycle import Invalid, Refused
from authgate.oauth2.authorize.context import AUTHORIZE_PARAMS
from authgate.registry import Registry
from authgate.ui import csrf
from authgate.ui.pages import error_page, render

log = logging.getLogger("authgate.ui.forms")
MAX_VALUE_CHARS = 2048  # a hidden authorize parameter or a form field; longer is refused by the page


def registry(request: Request) -> Registry:
    reg: Registry = request.app.state.registry
    return reg


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (first value of each, strings only), or {} for a body that is no form."""
    try:
        form = await request.form(max_files=0, max_fields=64)
    except Exception:  # noqa: BLE001 - malformed multipart/urlencoded: treated as an empty form
        return {}
    return {k: v for k, v in form.items() if isinstance(v, str)}


def carried(values: Any) -> dict[str, str]:
    """The authorize parameters found in a query or form, to return to the login page with."""
    out = {}
    for name in AUTHORIZE_PARAMS:
        value = values.get(name)
        if isinstance(value, str) and value and len(value) <= MAX_VALUE_CHARS:
            out[name] = value
    return out


def login_url(params: dict[str, str]) -> str | None:
    """Back to the hosted login this page was opened from (relative: always our own origin)."""
    return f"/oauth2/authorize?{urlencode(params)}" if params.get("client_id") else None


def with_params(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def refused_csrf(request: Request, reg: Registry, form: dict[str, str], what: str) -> Response | None:
    """An error page if this POST is not from our own form (see ui/csrf.py), else None."""
    why = csrf.refusal(request, reg.issuer, form.get(csrf.FIELD))
    if why is None:
        return None
    log.info("%s POST refused: %s", what, why)
    if why == csrf.MISMATCH:
        return error_page("This form expired. Go back, reload the page and try again.", 403)
    return error_page("The form was submitted from another site.", 403)


FormHandler = Callable[..., Awaitable[Response]]


def checked(what: str) -> Callable[[FormHandler], Callable[[Request], Awaitable[Response]]]:
    """A form's POST route: the form is read and CSRF-checked first (`refused_csrf`'s error page
    when it fails), then the handler runs as `handler(request, reg, form, **path parameters)`.
    `what` names the form in the log."""
    def wrap(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            reg = registry(request)
            form = await read_form(request)
            refused = refused_csrf(request, reg, form, what)
            if refused is not None:
                return refused
            return await handler(request, reg, form, **request.path_params)
        endpoint.__name__, endpoint.__doc__ = handler.__name__, handler.__doc__
        return endpoint
    return wrap


def page(request: Request, template: str, cookie_path: str, *, status: int = 200,
         errors: Invalid | Refused | None = None, **context: Any) -> Response:
    """Render a form page with a CSRF token (cookie scoped to `cookie_path`) and field errors."""
    field_errors: dict[str, str] = {}
    if isinstance(errors, Invalid):
        for e in errors.errors:
            field_errors.setdefault(e.field, e.message)
    elif isinstance(errors, Refused):
        field_errors[errors.field] = errors.message
    token = csrf.token(request)
    response = render(template, status=status if not field_errors else 400, csrf_token=token,
                      errors=field_errors, **context)
    csrf.set_cookie(request, response, token, cookie_path)
    return response
