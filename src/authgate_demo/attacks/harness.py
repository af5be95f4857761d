"""Runs the attack scenarios against the real demo stack in real Chromium.

Per run: one Chromium, one attacker "evil" origin (`evil.authgate.localhost:<port>`: an
exfiltration sink and a page for cross-site requests). Per workflow mode: one `Stack` (IdP +
Store + Forums, vulnerable demo build so that `?xss=` reflects), on free ports, in a temporary
data directory. Per scenario: a fresh browser context (its own cookies and storage), the victim
logged in through the real UI, and an attacker HTTP client that reaches the servers from outside
the browser (127.0.0.1 with a `Host` header: Python does not resolve *.localhost).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from authgate_demo.attacks import running
from authgate_demo.attacks.factors import SETUPS, run_factor_matrix
from authgate_demo.attacks.lifecycle import run_lifecycle_matrix
from authgate_demo.attacks.matrix import NA, NOT_RUN, Cell, Matrix, ScenarioInfo, not_applicable, not_run
from authgate_demo.attacks.running import NotRunnable, run_cell
from authgate_demo.stack import DEMO_EMAIL, DEMO_PASSWORD, Stack, StackConfig

MODES = ("implicit-localstorage", "implicit-cookie", "native-refresh-cookie", "code-pkce-cookie", "bff")
CHROMIUM = os.environ.get("AUTHGATE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
DEFAULT_JWT_TTL = 8  # seconds: short, so "usable until exp" is measured, not assumed
log = logging.getLogger("authgate_demo.attacks")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the attacker's own origin ---------------------------------------------------------------

@dataclass
class Hit:
    tag: str
    data: Any
    at: float


class Sink:
    """`evil.authgate.localhost:<port>`: POST /collect/<tag> records whatever a payload sends;
    GET /visit/<tag> records the Referer of a link or resource that points here; GET /page/<name>
    serves an attacker page registered with `add_page`."""

    def __init__(self, domain: str = "authgate.localhost") -> None:
        self.port = free_port()
        self.origin = f"http://evil.{domain}:{self.port}"
        self.hits: list[Hit] = []
        self.pages: dict[str, str] = {}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._new_hit = asyncio.Event()

    def app(self) -> FastAPI:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*",
                "Access-Control-Allow-Methods": "POST, GET"}

        @app.options("/{path:path}")
        async def preflight(path: str) -> Response:
            return Response(status_code=204, headers=cors)

        @app.post("/collect/{tag}")
        async def collect(tag: str, request: Request) -> Response:
            raw = (await request.body()).decode(errors="replace")
            try:
                data: Any = json.loads(raw)
            except ValueError:
                data = raw
            self.hits.append(Hit(tag, data, time.time()))
            self._new_hit.set()
            return JSONResponse({"ok": True}, headers=cors)

        @app.get("/visit/{tag}")
        async def visit(tag: str, request: Request) -> Response:
            # A link or resource on someone else's page pointing here: what did the browser tell us?
            self.hits.append(Hit(tag, {"referer": request.headers.get("referer"), "url": str(request.url)}, time.time()))
            self._new_hit.set()
            return HTMLResponse("<!doctype html><title>evil</title><h1>The attacker's site</h1>")

        @app.get("/page/{name}")
        async def page(name: str) -> Response:
            if name not in self.pages:
                return Response(status_code=404)
            return HTMLResponse(self.pages[name])

        return app

    def collect_url(self, tag: str) -> str:
        return f"{self.origin}/collect/{tag}"

    def visit_url(self, tag: str) -> str:
        return f"{self.origin}/visit/{tag}"

    def add_page(self, name: str, html: str) -> str:
        self.pages[name] = html
        return f"{self.origin}/page/{name}"

    def received(self, tag: str) -> list[Any]:
        return [h.data for h in self.hits if h.tag == tag]

    async def wait_for(self, tag: str, timeout: float = 5.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while not self.received(tag) and time.monotonic() < deadline:
            self._new_hit.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._new_hit.wait(), max(0.01, deadline - time.monotonic()))
        return self.received(tag)

    async def start(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the attacker sink did not start")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)


# --- what a scenario gets ----------------------------------------------------------------------

APPS = ("idp", "store", "forums")


@dataclass
class Ctx:
    mode: str
    stack: Stack
    browser: Any  # playwright Browser
    sink: Sink
    attacker: httpx.AsyncClient  # no cookies of its own, follows no redirects
    cleanups: list[Callable[[], Any]] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    # URLs and ports
    def url(self, app: str) -> str:
        return {"idp": self.stack.cfg.idp_url, "store": self.stack.cfg.store_url,
                "forums": self.stack.cfg.forums_url}[app]

    def host(self, app: str) -> str:
        return self.url(app).split("://", 1)[1]

    def port(self, app: str) -> int:
        return {"idp": self.stack.cfg.idp_port, "store": self.stack.cfg.store_port,
                "forums": self.stack.cfg.forums_port}[app]

    @property
    def jwt_ttl(self) -> int:
        return self.stack.cfg.jwt_ttl

    # the attacker, outside the browser
    async def attack(self, method: str, app: str, path: str, *, headers: dict[str, str] | None = None,
                     cookies: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        h = {"Host": self.host(app), **(headers or {})}
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.attacker.cookies.clear()  # the attacker sends only what the scenario says: no jar across calls
        return await self.attacker.request(method, f"http://127.0.0.1:{self.port(app)}{path}", headers=h, **kw)

    # the victim, in the browser
    async def new_context(self) -> Any:
        return await running.new_context(self.browser, self.contexts)

    async def victim(self, app: str = "store", *, context: Any = None, init_script: str | None = None) -> Any:
        """A page in a fresh (or the given) context, logged in to `app` through the real UI."""
        context = context or await self.new_context()
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        await self.login(page, app)
        return page

    async def login(self, page: Any, app: str = "store") -> None:
        await page.goto(self.url(app) + "/")
        if self.mode == "native-refresh-cookie":
            await page.locator("#login-form").wait_for(state="visible")
            await page.fill("#login-form input[name=loginId]", DEMO_EMAIL)
            await page.fill("#login-form input[name=password]", DEMO_PASSWORD)
            await page.click("#login-form button[type=submit]")
        else:
            await page.locator("#login-button").wait_for(state="visible")
            await page.click("#login-button")
            await page.wait_for_url(f"{self.url('idp')}/oauth2/authorize**")
            await page.fill("#loginId", DEMO_EMAIL)
            await page.fill("#password", DEMO_PASSWORD)
            await page.click("form button[type=submit]")
        try:
            await page.locator("#data").wait_for(state="visible")
        except Exception as exc:
            text = ""
            with contextlib.suppress(Exception):
                text = (await page.locator("body").inner_text(timeout=2000))[-600:]
            if "submitted from another site" in text:
                raise NotRunnable("the IdP's hosted login page refused Chromium's own form POST (\"The login form was "
                                  "submitted from another site\"): Chromium sends Origin: null from our no-referrer "
                                  "pages, which ui/csrf.py accepts, so its origin check has regressed") from exc
            raise RuntimeError(f"victim login in {self.mode} did not finish at {page.url}: {text!r}") from exc

    async def cookies(self, context: Any, app: str) -> dict[str, str]:
        return {c["name"]: c["value"] for c in await context.cookies(self.url(app))}

    async def cart_quantity(self, cookies: dict[str, str]) -> int:
        """Total quantity in the victim's Store cart, read with the victim's own cookies (ground truth)."""
        r = await self.attack("GET", "store", data_route("store"), cookies=cookies)
        return sum(i.get("quantity", 0) for i in r.json().get("items", [])) if r.status_code == 200 else -1


def data_route(app: str) -> str:
    return "/api/load-shopping-cart" if app == "store" else "/api/load-posts"


def add_route(app: str) -> str:
    return "/api/cart/items" if app == "store" else "/api/posts"


# --- scenarios -----------------------------------------------------------------------------------

def load_scenarios(only: Sequence[str] | None = None) -> list[ModuleType]:
    from authgate_demo.attacks import scenarios as pkg

    return running.load_scenarios(pkg, only)


def scenario_info(mod: ModuleType) -> ScenarioInfo:
    return ScenarioInfo(mod.ID, mod.TITLE, (mod.__doc__ or "").strip())


async def run_mode(mode: str, mods: list[ModuleType], browser: Any, sink: Sink, *, jwt_ttl: int,
                   data_root: Path, scenario_timeout: float = 60.0) -> list[Cell]:
    cells: list[Cell] = []
    todo: list[ModuleType] = []
    for mod in mods:
        reason = mod.applies(mode)
        if reason:
            cells.append(_stamp(not_applicable(reason), mod, mode))
        else:
            todo.append(mod)
    if not todo:
        return cells
    if browser is None:
        return cells + [_stamp(not_run(sink_or_browser_missing()), m, mode) for m in todo]
    cfg = StackConfig(mode=mode, data_dir=data_root / mode, idp_port=free_port(), store_port=free_port(),
                      forums_port=free_port(), mail_port=free_port(), smtp_port=free_port(), jwt_ttl=jwt_ttl,
                      leeway_seconds=0, vulnerable_demo=True)
    stack = Stack(cfg)
    try:
        async with _START_LOCK:  # IdP start-up runs Alembic migrations, which are not safe side by side in one process
            await stack.start()
    except Exception as exc:  # noqa: BLE001
        with contextlib.suppress(Exception):
            await stack.stop()
        return cells + [_stamp(not_run(f"the demo stack did not start: {exc}"), m, mode) for m in todo]
    try:
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as attacker:
            for mod in todo:
                ctx = Ctx(mode=mode, stack=stack, browser=browser, sink=sink, attacker=attacker)
                cells.append(_stamp(await run_cell(mod, ctx, scenario_timeout, mode), mod, mode))
    finally:
        await stack.stop()
    return cells


_START_LOCK = asyncio.Lock()


def _stamp(cell: Cell, mod: ModuleType, mode: str) -> Cell:
    cell.scenario, cell.mode = mod.ID, mode
    return cell


_BROWSER_PROBLEM = ""


def sink_or_browser_missing() -> str:
    return _BROWSER_PROBLEM or "Chromium is not available"


def chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (set AUTHGATE_CHROMIUM)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


async def run_matrix(modes: Sequence[str] = MODES, only: Sequence[str] | None = None, *,
                     jwt_ttl: int = DEFAULT_JWT_TTL, data_dir: Path | None = None,
                     progress: Callable[[Cell], None] | None = None, parallel: int = 3,
                     setups: Sequence[str] = SETUPS, factor_idp_overrides: dict[str, Any] | None = None,
                     lifecycle: bool = True, lifecycle_idp_overrides: dict[str, Any] | None = None) -> Matrix:
    """The workflow matrix for `modes`, with the factor x attack matrix for `setups` (attacks/factors.py)
    as its `factors` (none when `setups` is empty) and the account-lifecycle attacks (attacks/lifecycle.py)
    as its `lifecycle` (none when `lifecycle` is False or `only` selects none of them). All share the
    Chromium and the attacker's site and run side by side. `factor_idp_overrides`,
    `lifecycle_idp_overrides`: settings for those stacks' IdPs (their tests use PostgreSQL too)."""
    global _BROWSER_PROBLEM
    began = time.perf_counter()
    mods = load_scenarios(only)
    tmp = Path(tempfile.mkdtemp(prefix="authgate-attacks-", dir=data_dir))
    sink = Sink()
    cells: list[Cell] = []
    browser = None
    pw_cm = None
    env: dict[str, str] = {"jwt_ttl_seconds": str(jwt_ttl)}
    problem = chromium_problem()
    try:
        await sink.start()
        if problem is None:
            try:
                from playwright.async_api import async_playwright

                pw_cm = async_playwright()
                pw = await pw_cm.__aenter__()
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                env["browser"] = f"Chromium {browser.version}"
            except Exception as exc:  # noqa: BLE001
                problem = f"Chromium did not start: {str(exc).splitlines()[0][:300]}"
        _BROWSER_PROBLEM = problem or ""
        # Modes run side by side (own stack, own browser contexts, own sink tags): most of a
        # scenario's time is waiting (token expiry, page loads), not CPU.
        gate = asyncio.Semaphore(max(1, parallel))

        async def one(mode: str) -> list[Cell]:
            async with gate:
                mode_cells = await run_mode(mode, mods, browser, sink, jwt_ttl=jwt_ttl, data_root=tmp)
            for c in mode_cells:
                if progress:
                    progress(c)
            return mode_cells

        async def factor_matrix() -> Matrix | None:
            if not setups:
                return None
            async with gate:
                return await run_factor_matrix(browser, _BROWSER_PROBLEM, tmp, setups=setups, only=only,
                                               jwt_ttl=jwt_ttl, progress=progress, idp_overrides=factor_idp_overrides)

        async def lifecycle_matrix() -> Matrix | None:
            if not lifecycle or (only and not any(o.startswith("l") for o in only)):
                return None
            async with gate:
                return await run_lifecycle_matrix(browser, _BROWSER_PROBLEM, sink, tmp, only=only, jwt_ttl=jwt_ttl,
                                                  progress=progress, idp_overrides=lifecycle_idp_overrides)

        factor_task = asyncio.ensure_future(factor_matrix())
        lifecycle_task = asyncio.ensure_future(lifecycle_matrix())
        for mode_cells in await asyncio.gather(*(one(mode) for mode in modes)):
            cells.extend(mode_cells)
        factors = await factor_task
        lifecycle_cells = await lifecycle_task
    finally:
        if browser is not None:
            with contextlib.suppress(Exception):
                await browser.close()
        if pw_cm is not None:
            with contextlib.suppress(Exception):
                await pw_cm.__aexit__(None, None, None)
        await sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    order = {m.ID: i for i, m in enumerate(mods)}
    cells.sort(key=lambda c: (order[c.scenario], list(modes).index(c.mode)))
    return Matrix(list(modes), [scenario_info(m) for m in mods], cells, time.perf_counter() - began, env, factors,
                  lifecycle_cells)


__all__ = ["Ctx", "NotRunnable", "MODES", "SETUPS", "run_matrix", "NA", "NOT_RUN"]
