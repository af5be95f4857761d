"""`authgate demo`: the IdP, the Store and the Forums on three *.authgate.localhost origins.

The same `Stack` serves the demo command, the browser E2E tests and the attack harness, so
what a user watches is exactly what the tests check. Host names: see the measured cookie table
at the end of WORKFLOWS.md -- three hosts under one parent are different origins but the same
site, so the IdP's host-only cookies are sent on the SPAs' credentialed fetches yet never reach
the apps' backends. Chromium resolves *.localhost to loopback by itself; servers bind 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from authgate.config import Settings

STORE_ID = "3c219e58-ed0e-4b18-ad48-f4f92793ae32"
FORUMS_ID = "7a1f2e4b-5a8e-4b4c-9d1e-0c6f2b9a1d55"
DEMO_EMAIL, DEMO_PASSWORD = "richard@example.com", "password"
ADMIN_EMAIL = "admin@example.com"  # the admin console's user; its password is new on every start


@dataclass
class StackConfig:
    mode: str = "implicit-localstorage"
    forums_mode: str | None = None  # defaults to `mode`
    data_dir: Path = Path("./authgate-data/demo")
    idp_port: int = 9011
    store_port: int = 8081
    forums_port: int = 8082
    mail_port: int = 8025  # the demo inbox page (mail.authgate.localhost)
    smtp_port: int = 2525  # the demo's SMTP server, where the IdP sends its emails
    domain: str = "authgate.localhost"
    bind: str = "127.0.0.1"
    jwt_ttl: int = 60
    refresh_ttl_minutes: int = 60 * 24
    refresh_usage_policy: str = "OneTimeUse"
    leeway_seconds: int = 1
    vulnerable_demo: bool = False
    idp_overrides: dict[str, Any] = field(default_factory=dict)

    def url(self, host: str, port: int) -> str:
        return f"http://{host}.{self.domain}:{port}"

    @property
    def idp_url(self) -> str:
        return self.url("idp", self.idp_port)

    @property
    def store_url(self) -> str:
        return self.url("store", self.store_port)

    @property
    def forums_url(self) -> str:
        return self.url("forums", self.forums_port)

    @property
    def mail_url(self) -> str:
        return self.url("mail", self.mail_port)


class Stack:
    """Start with `async with Stack(cfg) as stack:`; `stack.registry` is the IdP's registry."""

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.api_key = secrets.token_urlsafe(32)
        self._servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
        self.registry: Any = None
        self.user_id = ""
        self.mail: Any = None  # the MailCatcher: every email the IdP sent
        self.admin_password = secrets.token_urlsafe(12)

    async def __aenter__(self) -> "Stack":
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host=self.cfg.bind, port=port, log_level="warning", access_log=False,
                                lifespan="on", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        # The demo owns Ctrl-C. uvicorn >= 0.29 swaps in its own SIGINT handler for the life of
        # serve() (`capture_signals`) and re-raises the signal on exit; with three servers that
        # chain races our `stop.set()` (asyncio's wakeup fd sees the first SIGINT too), so a
        # re-raised SIGINT could find `should_exit` already set and force-exit a server without
        # its lifespan shutdown ("CancelledError" tracebacks on Ctrl-C). Keep uvicorn out of it.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # older uvicorn
        task = asyncio.create_task(server.serve())
        self._servers.append((server, task))
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"server on port {port} did not start")
            await asyncio.sleep(0.02)

    async def start(self) -> None:
        from authgate.web.app import create_app

        cfg = self.cfg
        # The demo user's documented password is "password", the most common one there is: the
        # demo lets it through (and says so); a real deployment keeps the rule on.
        # Its emails go to the embedded mail catcher (authgate_demo/mail_catcher.py), read at cfg.mail_url.
        from authgate_demo.mail_catcher import MailCatcher, inbox_app

        self.mail = MailCatcher(cfg.smtp_port, cfg.bind).start()
        await self._serve(inbox_app(self.mail), cfg.mail_port)
        overrides = {"password_reject_common": False, "smtp_host": cfg.bind, "smtp_port": cfg.smtp_port,
                     "smtp_starttls": False, "smtp_from": "authgate demo <no-reply@authgate.localhost>",
                     **cfg.idp_overrides}
        settings = Settings(host=cfg.bind, port=cfg.idp_port, data_dir=cfg.data_dir / "idp", issuer=cfg.idp_url,
                            api_key=self.api_key, **overrides)
        idp = create_app(settings)
        self.registry = idp.state.registry
        await self._serve(idp, cfg.idp_port)
        secrets_by_app = await self._provision()
        await self._serve(self._example("Store", cfg.mode, cfg.store_url, STORE_ID, secrets_by_app[STORE_ID]), cfg.store_port)
        await self._serve(self._example("Forums", cfg.forums_mode or cfg.mode, cfg.forums_url, FORUMS_ID,
                                        secrets_by_app[FORUMS_ID]), cfg.forums_port)

    def _example(self, name: str, mode: str, origin: str, client_id: str, client_secret: str) -> Any:
        from authgate_demo.apps.common.config import ExampleConfig

        module = __import__(f"authgate_demo.apps.{name.lower()}.app", fromlist=["create_app"])
        ecfg = ExampleConfig(
            name=name, mode=mode, public_origin=origin, idp_public_url=self.cfg.idp_url,
            idp_internal_url=f"http://127.0.0.1:{self.cfg.idp_port}", issuer=self.cfg.idp_url, client_id=client_id,
            client_secret=client_secret, db_path=self.cfg.data_dir / f"{name.lower()}.db",
            vulnerable_demo=self.cfg.vulnerable_demo, leeway_seconds=self.cfg.leeway_seconds,
        )
        return module.create_app(ecfg)

    async def _provision(self) -> dict[str, str]:
        """Register both applications and the demo user through the FusionAuth admin API."""
        from authgate_demo.apps.common.provision import application_spec

        cfg = self.cfg
        apps = {STORE_ID: ("Store", cfg.mode, cfg.store_url), FORUMS_ID: ("Forums", cfg.forums_mode or cfg.mode, cfg.forums_url)}
        out: dict[str, str] = {}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{cfg.idp_port}",
                                     headers={"Authorization": self.api_key}, timeout=10) as http:
            for app_id, (name, mode, origin) in apps.items():
                secret = secrets.token_urlsafe(32)
                body = application_spec(name, mode, origin, client_secret=secret, access_token_ttl_seconds=cfg.jwt_ttl,
                                        refresh_token_ttl_minutes=cfg.refresh_ttl_minutes,
                                        refresh_token_usage_policy=cfg.refresh_usage_policy)
                # Self-service sign-up on the hosted page; an unverified address cannot log in yet.
                body["application"]["registrationConfiguration"] = {
                    "enabled": True, "type": "basic", "loginIdType": "email",
                    "firstName": {"enabled": True, "required": False}}
                body["application"]["emailConfiguration"] = {"verifyEmail": True, "unverified": {"behavior": "Gated"}}
                exists = (await http.get(f"/api/application/{app_id}")).status_code == 200
                r = await (http.put if exists else http.post)(f"/api/application/{app_id}", json=body)
                _check(r, f"provision application {name}")
                out[app_id] = secret
            r = await http.get("/api/user", params={"email": DEMO_EMAIL})
            if r.status_code == 404:
                r = await http.post("/api/user", json={"user": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                                               "firstName": "Richard", "lastName": "Hendricks"},
                                                      "skipVerification": True})
            _check(r, "provision demo user")
            self.user_id = r.json()["user"]["id"]
            registered = {x["applicationId"] for x in r.json()["user"].get("registrations", [])}
            for app_id in apps:
                if app_id not in registered:
                    reg = await http.post(f"/api/user/registration/{self.user_id}",
                                          json={"registration": {"applicationId": app_id, "roles": []}})
                    _check(reg, "register demo user")
            await self._provision_admin(http)
        return out

    async def _provision_admin(self, http: httpx.AsyncClient) -> None:
        """admin@example.com, registered to the admin console with its `admin` role, with this
        start's password (the console's application is created by authgate itself)."""
        from authgate.console import ADMIN_ROLE, CONSOLE_APP_ID

        r = await http.get("/api/user", params={"email": ADMIN_EMAIL})
        if r.status_code == 404:
            r = await http.post("/api/user", json={"user": {"email": ADMIN_EMAIL, "password": self.admin_password,
                                                           "firstName": "Ada", "lastName": "Admin"}})
        else:
            r = await http.patch(f"/api/user/{r.json()['user']['id']}", json={"user": {"password": self.admin_password}})
        _check(r, "provision the console's admin")
        admin_id = r.json()["user"]["id"]
        if (await http.get(f"/api/user/registration/{admin_id}/{CONSOLE_APP_ID}")).status_code == 404:
            r = await http.post(f"/api/user/registration/{admin_id}",
                                json={"registration": {"applicationId": CONSOLE_APP_ID, "roles": [ADMIN_ROLE]}})
            _check(r, "register the admin to the console")

    @property
    def console_url(self) -> str:
        return f"{self.cfg.idp_url}/admin/"

    async def stop(self) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        for _, task in reversed(self._servers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=5)
        self._servers.clear()
        if self.mail is not None:
            self.mail.stop()
            self.mail = None


def _check(r: httpx.Response, what: str) -> None:
    if r.status_code >= 300:
        raise RuntimeError(f"{what} failed: HTTP {r.status_code} {r.text[:500]}")


def run_demo(mode: str = "implicit-localstorage", data_dir: Path | None = None, jwt_ttl: int = 60,
             vulnerable: bool = False) -> None:
    cfg = StackConfig(mode=mode, data_dir=data_dir or Path("./authgate-data/demo"), jwt_ttl=jwt_ttl,
                      leeway_seconds=0, vulnerable_demo=vulnerable)
    # The demo's own output is the URLs and the apps' pages; start-up chatter would bury them.
    for noisy in ("alembic", "httpx", "authgate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    async def main() -> None:
        began = time.perf_counter()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with Stack(cfg) as stack:
            print(f"\nauthgate demo ready in {time.perf_counter() - began:.1f}s -- workflow mode: {mode}\n"
                  f"  IdP     {cfg.idp_url}\n  Store   {cfg.store_url}\n  Forums  {cfg.forums_url}\n"
                  f"  Inbox   {cfg.mail_url}  (every email the IdP sends: sign-up, reset links)\n"
                  f"  log in as {DEMO_EMAIL} / {DEMO_PASSWORD}; access tokens live {jwt_ttl}s\n"
                  f"  Admin console  {stack.console_url}  as {ADMIN_EMAIL} / {stack.admin_password}\n"
                  f"  Open the URLs in Chromium or Chrome (they resolve *.localhost themselves). Ctrl-C stops.\n",
                  flush=True)
            await stop.wait()
        print("stopped", flush=True)

    asyncio.run(main())
