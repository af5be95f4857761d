"""What the E2E tests share: a `Stack` that records what each server sees, a recorder of what the
browser sends, cookie and token probes, screenshots and the wait for a JWT to expire.

Two vantage points on every request:
- `RecordingStack.seen`: each server's view (host, path, query, headers, status, response
  headers), captured by an ASGI wrapper around the IdP, the Store and the Forums.
- `Traffic.requests`: Chromium's view (`request.url` never includes the fragment; headers come
  from `all_headers()`, which includes `Cookie` and `Referer`).
"""
from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from authgate_demo.stack import DEMO_EMAIL, DEMO_PASSWORD, FORUMS_ID, STORE_ID, Stack, StackConfig

__all__ = ["DEMO_EMAIL", "DEMO_PASSWORD", "FORUMS_ID", "STORE_ID"]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
JWT_TTL = 4  # seconds: expiry is observed by waiting, the browser's clock is real
# The implicit tests replay a JWT obtained a few steps earlier (after the Forums' SSO); on a
# loaded machine those steps can outlast 4 s, so they trade a few seconds of waiting for margin.
JWT_TTL_IMPLICIT = 8
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
IDP_COOKIES = ("fusionauth.sso", "refresh_token", "access_token")
APP_COOKIES = ("app_jwt", "app_refresh", "login_tx", "bff_session")
EXPECT_TIMEOUT = 15_000  # ms; the machine is shared and slow at times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def claims(jwt: str) -> dict[str, Any]:
    """The payload, unverified (the servers verify; the test only reads)."""
    body = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


# --- what the servers see ---------------------------------------------------------------------

@dataclass
class Seen:
    server: str  # "idp" | "store" | "forums"
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        jar.load(self.headers.get("cookie", ""))
        return {k: v.value for k, v in jar.items()}

    @property
    def from_browser(self) -> bool:
        """Server-to-server calls (an app backend fetching JWKS or calling /oauth2/token) use
        127.0.0.1; the browser always uses the *.authgate.localhost names."""
        return ".authgate.localhost" in self.headers.get("host", "")

    def response_header(self, name: str) -> str | None:
        return next((v for k, v in self.response_headers if k == name.lower()), None)

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.response_headers if k == "set-cookie"]


class _Recorder:
    """ASGI wrapper: appends a `Seen` per HTTP request, fills in the status on the response."""

    def __init__(self, app: Any, name: str, log: list[Seen]) -> None:
        self.app, self.name, self.log = app, name, log
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = Seen(self.name, scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"),
                    {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]})
        self.log.append(seen)

        async def recording_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
                seen.response_headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                                         for k, v in message.get("headers", [])]
            await send(message)

        await self.app(scope, receive, recording_send)


class RecordingStack(Stack):
    def __init__(self, cfg: StackConfig) -> None:
        super().__init__(cfg)
        self.seen: list[Seen] = []

    async def _serve(self, app: Any, port: int) -> None:
        name = {self.cfg.idp_port: "idp", self.cfg.store_port: "store", self.cfg.forums_port: "forums",
                self.cfg.mail_port: "mail"}[port]
        await super()._serve(_Recorder(app, name, self.seen), port)

    def requests(self, server: str, path: str | None = None, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.server == server and (path is None or s.path == path)
                and (method is None or s.method == method)]

    def login_forms_rendered(self) -> int:
        """How many times the IdP answered its hosted login page (authorize -> 200 HTML form)."""
        return sum(1 for s in self.requests("idp", "/oauth2/authorize") if s.status == 200)

    def http(self, server: str) -> httpx.AsyncClient:
        """A Python client for one server: 127.0.0.1 (no *.localhost DNS in Python) with the Host
        header the browser would send."""
        cfg = self.cfg
        port = {"idp": cfg.idp_port, "store": cfg.store_port, "forums": cfg.forums_port}[server]
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                 headers={"Host": f"{server}.{cfg.domain}:{port}"})


@asynccontextmanager
async def running_stack(tmp_path: Path, mode: str, **overrides: Any) -> AsyncIterator[RecordingStack]:
    values: dict[str, Any] = dict(mode=mode, data_dir=tmp_path / "stack", idp_port=free_port(), store_port=free_port(),
                                  forums_port=free_port(), mail_port=free_port(), smtp_port=free_port(), jwt_ttl=JWT_TTL,
                                  leeway_seconds=0)
    cfg = StackConfig(**{**values, **overrides})
    async with RecordingStack(cfg) as stack:
        yield stack


# --- what the browser sends -------------------------------------------------------------------

@dataclass
class Sent:
    url: str
    method: str
    navigation: bool
    post_data: str | None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


class Traffic:
    """Every request the browser context makes, with all its headers (Cookie and Referer too),
    and every uncaught error of its pages' scripts."""

    def __init__(self, context: Any) -> None:
        self.requests: list[Sent] = []
        self.page_errors: list[str] = []
        self.fetch_bodies: list[tuple[str, str]] = []  # (url, body) of every fetch() answer a page got
        self.navigations: list[str] = []  # URLs committed in a top-level frame, fragment included
        self._tasks: list[asyncio.Task[None]] = []
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("page", self._on_page)

    def _on_page(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("framenavigated", self._on_navigated)

    def _on_navigated(self, frame: Any) -> None:
        if frame.parent_frame is None:
            self.navigations.append(frame.url)

    def committed(self, host_prefix: str) -> list[str]:
        """Top-level pages the browser actually showed on that host. A redirect (the SSO 302)
        commits nothing on the IdP, so on "idp" this counts hosted login pages shown."""
        return [u for u in self.navigations if (urlsplit(u).hostname or "").startswith(host_prefix + ".")]

    def _on_request(self, request: Any) -> None:
        sent = Sent(request.url, request.method, request.is_navigation_request(), request.post_data,
                    dict(request.headers))
        self.requests.append(sent)
        self._tasks.append(asyncio.get_running_loop().create_task(self._headers(request, sent)))

    async def _headers(self, request: Any, sent: Sent) -> None:
        try:
            sent.headers = await request.all_headers()
        except Exception:  # noqa: BLE001 - the page may be gone; the sync headers stay
            pass

    def _on_response(self, response: Any) -> None:
        if response.request.resource_type in ("fetch", "xhr"):
            self._tasks.append(asyncio.get_running_loop().create_task(self._body(response)))

    async def _body(self, response: Any) -> None:
        try:
            self.fetch_bodies.append((response.url, await response.text()))
        except Exception:  # noqa: BLE001 - a body may be gone after a navigation
            pass

    async def settle(self) -> list[Sent]:
        await asyncio.gather(*self._tasks)
        return self.requests

    def to(self, host_prefix: str, path: str | None = None) -> list[Sent]:
        return [r for r in self.requests if r.host.startswith(host_prefix + ".")
                and (path is None or urlsplit(r.url).path == path)]


async def assert_no_jwt_in_urls(stack: RecordingStack, traffic: Traffic) -> int:
    """No JWT in any URL or Referer, as sent by Chromium and as received by every server.
    Returns how many requests were checked."""
    sent = await traffic.settle()
    for r in sent:
        assert not JWT_RE.search(r.url), f"JWT in a URL the browser sent: {r.method} {r.url[:120]}"
        assert not JWT_RE.search(r.headers.get("referer", "")), f"JWT in the Referer of {r.url}"
    for s in stack.seen:
        assert not JWT_RE.search(s.path + "?" + s.query), f"{s.server} got a JWT in its URL: {s.path}"
        assert not JWT_RE.search(s.headers.get("referer", "")), f"{s.server} got a JWT in a Referer"
    return len(sent)


def assert_idp_cookies_stay_on_idp(stack: RecordingStack, traffic: Traffic) -> None:
    """The IdP's cookies never reach the apps' backends and the apps' cookies never reach the
    IdP -- checked on the wire from both ends."""
    for s in stack.seen:
        if s.server in ("store", "forums"):
            assert not set(IDP_COOKIES) & set(s.cookies), f"IdP cookie reached {s.server}: {s.path} {s.cookies}"
        else:
            assert not set(APP_COOKIES) & set(s.cookies), f"app cookie reached the IdP: {s.path} {s.cookies}"
    for r in traffic.requests:
        names = set(cookie_names(r.headers.get("cookie", "")))
        if r.host.startswith(("store.", "forums.")):
            assert not set(IDP_COOKIES) & names, f"browser sent an IdP cookie to {r.url}"


def cookie_names(header: str) -> list[str]:
    return [part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part]


# --- cookies in the browser's jar -------------------------------------------------------------

async def jar(context: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """(host, name) -> cookie, for every cookie in the context."""
    return {(c["domain"], c["name"]): c for c in await context.cookies()}


def assert_cookie(cookie: dict[str, Any] | None, *, host: str, same_site: str) -> None:
    """HttpOnly, the SameSite we expect, and host-only: Playwright reports a host-only cookie's
    domain without the leading dot that a `Domain=` attribute would give it."""
    assert cookie is not None, f"expected a cookie on {host}"
    assert cookie["domain"] == host, f"{cookie['name']} is not host-only on {host}: domain={cookie['domain']}"
    assert cookie["httpOnly"] is True, f"{cookie['name']} is readable by JavaScript"
    assert cookie["sameSite"] == same_site, f"{cookie['name']}: SameSite={cookie['sameSite']}, want {same_site}"
    assert cookie["path"] == "/", f"{cookie['name']}: Path={cookie['path']}"


# --- what page JavaScript can read ------------------------------------------------------------

READABLE_JS = """() => ({
  cookie: document.cookie,
  local: JSON.stringify(Object.entries(localStorage)),
  session: JSON.stringify(Object.entries(sessionStorage)),
})"""


async def readable_by_js(page: Any) -> dict[str, str]:
    return dict(await page.evaluate(READABLE_JS))


async def assert_no_token_readable(page: Any, context: Any, where: str) -> None:
    """Neither a JWT nor any token-bearing cookie's value is visible to the page's scripts."""
    seen = await readable_by_js(page)
    secrets_ = {c["value"] for c in await context.cookies() if c["name"] in (*IDP_COOKIES, *APP_COOKIES)}
    for store, text in seen.items():
        assert not JWT_RE.search(text), f"{where}: a JWT is readable in {store}"
        for value in secrets_:
            assert value not in text, f"{where}: a token cookie's value is readable in {store}"
    assert seen["cookie"] == "", f"{where}: document.cookie is not empty: {seen['cookie'][:80]}"


# --- screenshots and time ---------------------------------------------------------------------

class Shots:
    def __init__(self, workflow: str) -> None:
        self.dir = ARTIFACTS / workflow
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    async def __call__(self, page: Any, step: str) -> None:
        self.n += 1
        await page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"), full_page=True)


def assert_expiry_401(seen: Seen) -> None:
    """A data call refused after the JWT expired. The cookie drop gives the JWT cookie
    Max-Age = seconds to `exp`, so Chromium drops the cookie together with the JWT: the request
    arrives with no JWT and gets the bare `Bearer` challenge ("log in first"). Only a request that
    still carries the expired JWT (a Bearer header, or a replay) gets `error="invalid_token"` with
    "expired" -- both branches are the real behaviour, never anything else."""
    assert seen.status == 401, seen
    challenge = seen.response_header("www-authenticate") or ""
    if seen.cookies.get("app_jwt") or seen.headers.get("authorization"):
        assert 'error="invalid_token"' in challenge and "expired" in challenge, challenge
    else:
        assert challenge == "Bearer", challenge


async def until(predicate: Any, what: str, timeout: float = 15.0) -> None:
    """Poll a condition on recorded traffic (cheap; the servers run in this event loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


async def wait_past(exp: int) -> None:
    """Sleep until the JWT with this `exp` is expired for a leeway-0 verifier."""
    await asyncio.sleep(max(0.0, exp + 1.05 - time.time()))


# --- the IdP's hosted login page --------------------------------------------------------------

async def fill_hosted_login(page: Any, password: str = DEMO_PASSWORD) -> None:
    """The IdP's own form (src/authgate/ui/templates/login.html), by its labels."""
    await page.get_by_label("Email or username").fill(DEMO_EMAIL)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


def fragment_params(location: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(location).fragment))
