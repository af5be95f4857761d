"""OAuth test helpers: a Store (confidential) and a Forums (public) client, a user, the hosted
login form driven through HTTP, PKCE pairs, and the clock put back after each test."""
from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate.clock import clock
from authgate.registry import Registry
from tests.factories import make_application, make_user

STORE_CB = "http://store.authgate.localhost:8081/oauth-redirect"
FORUMS_CB = "http://forums.authgate.localhost:8082/oauth-redirect"
SECRET = "store-secret-0123456789abcdefghij"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def reset_clock() -> Iterator[None]:
    """Tests move the shared clock forward; put it back so the next test starts at real time."""
    before = clock.now() - time.time()
    yield
    clock.advance(before - (clock.now() - time.time()))


@dataclass
class World:
    reg: Registry
    store: dict[str, Any]
    forums: dict[str, Any]
    user: dict[str, Any]


async def oauth_app(reg: Registry, name: str, redirect: str, *, public: bool = False, grants: list[str] | None = None,
                    **oauth: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"authorizedRedirectURLs": [redirect], "requireClientAuthentication": not public,
                              "enabledGrants": grants or ["authorization_code", "refresh_token"], **oauth}
    if not public:
        config["clientSecret"] = SECRET
    return await make_application(reg, name, oauthConfiguration=config)


@pytest.fixture
async def world(registry: Registry) -> World:
    store = await oauth_app(registry, "Store", STORE_CB, grants=["authorization_code", "refresh_token", "implicit"],
                            logoutURL="http://store.authgate.localhost:8081/")
    forums = await oauth_app(registry, "Forums", FORUMS_CB, public=True)
    user = await make_user(registry, password=PASSWORD, apps=[store, forums], roles=["user"])
    return World(registry, store, forums, user)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action") or ""
        if tag == "input" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


def form_fields(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def authorize_params(client_id: str, redirect_uri: str, **extra: str) -> dict[str, str]:
    return {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "state": "st-123",
            "scope": "openid offline_access", **extra}


async def login(client: httpx.AsyncClient, params: dict[str, str], login_id: str = "richard@example.com",
                password: str = PASSWORD) -> httpx.Response:
    """GET authorize (must show the form), then POST the form with credentials."""
    page = await client.get("/oauth2/authorize", params=params)
    assert page.status_code == 200, page.text
    assert 'name="password"' in page.text
    fields = form_fields(page.text)
    fields.update(loginId=login_id, password=password)
    return await client.post("/oauth2/authorize", data=fields)


def redirect_params(response: httpx.Response, part: str = "query") -> dict[str, str]:
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    url = urlsplit(response.headers["location"])
    raw = url.query if part == "query" else url.fragment
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def location_base(response: httpx.Response) -> str:
    url = urlsplit(response.headers["location"])
    return f"{url.scheme}://{url.netloc}{url.path}"


async def code_for(client: httpx.AsyncClient, w: World, challenge: str | None = None, **extra: str) -> str:
    params = authorize_params(w.store["id"], STORE_CB, **extra)
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    response = await client.get("/oauth2/authorize", params=params)
    if response.status_code == 200:  # no SSO session yet: the form
        response = await login(client, params)
    return redirect_params(response)["code"]


async def redeem(client: httpx.AsyncClient, w: World, code: str, verifier: str | None = None,
                 **extra: Any) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": STORE_CB}
    if verifier:
        data["code_verifier"] = verifier
    return await client.post("/oauth2/token", data=data, auth=(w.store["id"], SECRET), **extra)
