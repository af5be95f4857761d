"""Console test helpers: an administrator and a plain user, each signed in to the console through
the real flow (console -> /oauth2/authorize -> hosted login form -> /admin/callback)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from authgate.console import make_admin
from authgate.registry import Registry
from authgate.web.app import create_app
from tests.conftest import IDP
from tests.factories import make_user
from tests.oauth2.conftest import form_fields

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL, USER_EMAIL = "admin@example.com", "plain@example.com"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


@dataclass
class Console:
    reg: Registry
    admin: httpx.AsyncClient  # signed in as an administrator
    user: httpx.AsyncClient  # signed in, registered nowhere: not an administrator
    anon: httpx.AsyncClient
    admin_user: dict[str, Any]
    plain_user: dict[str, Any]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """The browser's way in; returns the console's answer after the callback."""
    start = await client.get("/admin/")
    assert start.status_code == 302, start.text
    authorize = urlsplit(start.headers["location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == IDP and authorize.path == "/oauth2/authorize"
    page = await client.get(start.headers["location"])
    assert page.status_code == 200 and 'name="password"' in page.text, page.text[:300]
    fields = form_fields(page.text)
    fields.update(loginId=email, password=password)
    back = await client.post("/oauth2/authorize", data=fields)
    assert back.status_code == 303, back.text[:300]
    assert back.headers["location"].startswith(IDP + "/admin/callback?")
    return await client.get(back.headers["location"])


def new_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=IDP)


@pytest.fixture
async def console(registry: Registry) -> Any:
    app = create_app(registry.settings, registry)
    admin_user = await make_user(registry, ADMIN_EMAIL, PASSWORD, firstName="Ada")
    await make_admin(registry, admin_user["id"])
    plain_user = await make_user(registry, USER_EMAIL, PASSWORD)
    async with new_client(app) as admin, new_client(app) as user, new_client(app) as anon:
        assert (await sign_in(admin, ADMIN_EMAIL)).status_code == 200
        assert (await sign_in(user, USER_EMAIL)).status_code == 200
        yield Console(registry, admin, user, anon, admin_user, plain_user)


async def post(client: httpx.AsyncClient, page: str, action: str, data: dict[str, Any] | None = None) -> httpx.Response:
    """Submit a console form the way the browser does: the CSRF token from the page, same origin."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={"csrf_token": token, **(data or {})},
                             headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
