"""Sending an authorization response back to the client (RFC 6749 sections 4.1.2 and 4.2.2;
OAuth 2.0 Multiple Response Types section 2; Form Post Response Mode section 2).

`query` appends to the registered URI's own query; `fragment` puts everything after `#` so the
browser never sends it to a server; `form_post` renders a page that POSTs the values (no
JavaScript: the user presses Continue; the page is the hosted pages' `form_post.html`, passed in
as `form_post` so this protocol module renders no HTML). Every response carries `iss` (RFC 9207).
302 after a GET, 303 after a POST (RFC 9700 section 4.11) so the browser never re-posts the
credentials to the client.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse, Response

REDIRECT_HEADERS = {"Referrer-Policy": "no-referrer"}  # never cached either: web/no_store.py
FormPost = Callable[[str, dict[str, str]], Response]  # (redirect_uri, fields) -> the page


def authorization_response(redirect_uri: str, values: dict[str, str | int], mode: str, method: str,
                           form_post: FormPost) -> Response:
    fields = {k: str(v) for k, v in values.items() if v is not None}
    if mode == "form_post":
        return form_post(redirect_uri, fields)
    encoded = urlencode(fields)
    if mode == "fragment":
        location = f"{redirect_uri}#{encoded}"
    else:
        location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{encoded}"
    return RedirectResponse(location, status_code=303 if method == "POST" else 302, headers=REDIRECT_HEADERS)
