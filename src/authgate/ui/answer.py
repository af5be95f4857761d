"""Sending the authorization response from the hosted pages, in the request's response mode
(oauth2/responses.py); `form_post` is one of these pages (form_post.html)."""
from __future__ import annotations

from fastapi.responses import Response

from authgate.oauth2.authorize.context import AuthorizeContext
from authgate.oauth2.responses import authorization_response
from authgate.ui.pages import render


def _form_post(redirect_uri: str, fields: dict[str, str]) -> Response:
    return render("form_post.html", form_targets=(redirect_uri,), action=redirect_uri, fields=fields)


def answer(ctx: AuthorizeContext, values: dict[str, str | int]) -> Response:
    """`values` (the answer of oauth2/authorize/issue.py, or an error) back to the verified redirect URI."""
    assert ctx.redirect_uri is not None
    return authorization_response(ctx.redirect_uri, values, ctx.response_mode, ctx.request.method, _form_post)
