"""The shared SPA in real Chromium, native-refresh-cookie mode, against a fake IdP.

Runs the seed 001 steps: own login form -> IdP /api/login (CORS, credentials) -> cookie drop
-> cart; JWT expiry -> /api/jwt/refresh with the IdP's cookie -> cookie drop -> cart; refresh
refused -> the login form again. The IdP here is a stand-in (the real one is tested elsewhere).
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from authgate_demo.apps.store.app import create_app
from authgate_demo.attacks.harness import CHROMIUM_ARGS

from .conftest import STORE_CLIENT, Clock, FakeIdP, config

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_idp(fake: FakeIdP, store_origin: str) -> FastAPI:
    app = FastAPI()
    state: dict[str, Any] = {"refresh_ok": True}
    app.state.control = state
    cors = {"Access-Control-Allow-Origin": store_origin, "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Headers": "content-type, accept", "Access-Control-Allow-Methods": "POST"}

    @app.options("/{path:path}")
    async def preflight(path: str) -> Response:
        return Response(status_code=204, headers=cors)

    @app.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        return JSONResponse(fake.handler(httpx.Request("GET", "http://idp/.well-known/jwks.json")).json())

    @app.post("/api/login")
    async def login(request: Request) -> JSONResponse:
        body = await request.json()
        if (body.get("loginId"), body.get("password"), body.get("applicationId")) != \
                ("richard@example.com", "password", STORE_CLIENT):
            return JSONResponse({}, 404, headers=cors)
        response = JSONResponse({"token": fake.mint(), "refreshToken": "rt-1"}, headers=cors)
        response.set_cookie("refresh_token", "rt-1", httponly=True, samesite="lax", path="/")
        return response

    @app.post("/api/jwt/refresh")
    async def refresh(request: Request) -> JSONResponse:
        if request.cookies.get("refresh_token") != "rt-1" or not state["refresh_ok"]:
            return JSONResponse({"generalErrors": [{"code": "[invalid]", "message": "refresh token invalid"}]},
                                400, headers=cors)
        return JSONResponse({"token": fake.mint()}, headers=cors)

    return app


class Served:
    def __init__(self, app: FastAPI, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off", loop="asyncio", http="h11"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_native_mode_login_refresh_and_relogin_in_chromium(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    clock = Clock()
    fake = FakeIdP(clock)
    idp_port, store_port = _free_port(), _free_port()
    idp_url = f"http://idp.authgate.localhost:{idp_port}"
    store_origin = f"http://store.authgate.localhost:{store_port}"
    fake_issuer = "http://idp.authgate.localhost:9011"  # what FakeIdP.mint puts in `iss`
    cfg = config("native-refresh-cookie", tmp_path, public_origin=store_origin, idp_public_url=idp_url,
                 idp_internal_url=f"http://127.0.0.1:{idp_port}", issuer=fake_issuer, leeway_seconds=0)
    idp_app = browser_idp(fake, store_origin)
    servers = [Served(idp_app, idp_port), Served(create_app(cfg, clock=clock), store_port)]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(store_origin + "/")
            expect(page.locator("#mode")).to_have_text("native-refresh-cookie")
            expect(page.locator("#login-form")).to_be_visible()

            page.fill("input[name=loginId]", "richard@example.com")
            page.fill("input[name=password]", "wrong")
            page.click("#login-form button[type=submit]")
            expect(page.locator("#login-error")).to_have_text("Wrong email or password")

            page.fill("input[name=password]", "password")
            page.click("#login-form button[type=submit]")
            expect(page.locator("#items li").first).to_have_text("2 x Earl Grey tea, 100 g")
            assert "app_jwt" in {c["name"] for c in page.context.cookies(store_origin)}
            assert page.evaluate("document.cookie") == ""  # HttpOnly: JavaScript sees nothing

            clock.now += 600  # the JWT expired
            page.click("#reload-button")
            expect(page.locator("#event-log")).to_contain_text("Refresh -> 200")
            # the cart loaded again *after* the refresh (the last line, not the first load's)
            expect(page.locator("#event-log li").last).to_contain_text("GET /api/load-shopping-cart -> 200")

            idp_app.state.control["refresh_ok"] = False
            clock.now += 600
            page.click("#reload-button")
            expect(page.locator("#login-form")).to_be_visible()
            expect(page.locator("#event-log")).to_contain_text("Refresh failed (400")
            browser.close()
    finally:
        for server in servers:
            server.stop()
