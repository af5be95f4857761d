"""Driving the hosted account pages over HTTP, as a browser would (GET the form, POST it back
with its CSRF token and cookie), and reading the links out of delivered emails."""
from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from authgate.registry import Registry
from authgate_demo.mail_catcher import Caught, MailCatcher
from tests.factories import make_application
from tests.oauth2.conftest import form_fields

CB = "http://store.authgate.localhost:8081/oauth-redirect"
SECRET = "store-secret-0123456789abcdefghij"
STRONG = "tangerine orbit 42"
STRONGER = "velvet harbour 77"


async def store_app(reg: Registry, **doc: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "oauthConfiguration": {"authorizedRedirectURLs": [CB], "clientSecret": SECRET, "requireClientAuthentication": True,
                               "enabledGrants": ["authorization_code", "refresh_token"]},
        "registrationConfiguration": {"enabled": True, "type": "basic", "firstName": {"enabled": True, "required": True}},
        "emailConfiguration": {"unverified": {"behavior": "Gated"}},
        "roles": [{"name": "customer", "isDefault": True}, {"name": "admin"}],
    }
    body.update(doc)
    return await make_application(reg, "Store", **body)


def authorize(app_id: str) -> dict[str, str]:
    return {"client_id": app_id, "redirect_uri": CB, "response_type": "code", "state": "s1", "scope": "openid offline_access"}


async def submit(client: httpx.AsyncClient, page_url: str, values: dict[str, str], *,
                 params: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET a form page, fill `values` in, POST it to the form's action."""
    page = await client.get(page_url, params=params)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    fields = form_fields(page.text)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    fields.update(values)
    return await client.post(action.group(1).replace("&amp;", "&"), data=fields, headers=headers or {})


def link(msg: Caught, path: str) -> str:
    found = [u for u in msg.links if urlsplit(u).path.startswith(path)]
    assert found, (path, msg.text)
    return found[0]


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


async def mail_to(reg: Registry, catcher: MailCatcher, address: str, count: int = 1,
                  containing: str = "") -> list[Caught]:
    """Send what is due, then the messages `address` received whose text contains `containing`,
    once there are `count` of them."""
    await reg.mail.deliver_due()
    got: list[Caught] = []
    for _ in range(200):
        got = [m for m in catcher.to(address) if containing in m.text]
        if len(got) >= count:
            break
        await asyncio.sleep(0.05)
    assert len(got) >= count, [m.subject for m in catcher.inbox]
    return got
