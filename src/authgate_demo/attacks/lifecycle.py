"""The account-lifecycle attacks (issue 12): the emailed reset link under attack, shown in Chromium.

One stack (code-pkce-cookie: the hosted account pages are the same in every mode) with the demo's
mail catcher, the run's Chromium and attacker site (`evil.authgate.localhost`, attacks/harness.py's
`Sink`), and per cell a fresh victim whose address was verified long ago. The victim reads their
mail on the catcher's inbox page and clicks its links, as a person would; the attacker works from
outside the browser (forged headers) or from their own browser context (a link they got hold of).
Reset links in this stack live `RESET_TTL` seconds (AUTHGATE_CHANGE_PASSWORD_ID_TTL_SECONDS), so
"expired" is measured, not assumed. One column: what the IdP's hosted pages do.
"""
from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import httpx

from authgate_demo.attacks import running
from authgate_demo.attacks.matrix import Cell, Matrix, ScenarioInfo, not_run
from authgate_demo.stack import STORE_ID, Stack, StackConfig

COLUMN = "hosted pages"
COLUMNS = (COLUMN,)
MODE = "code-pkce-cookie"
RESET_TTL = 20  # seconds, for this stack's reset links


@dataclass
class Victim:
    email: str
    password: str
    user_id: str


@dataclass
class LifecycleCtx:
    scenario: str
    stack: Stack
    browser: Any
    sink: Any  # harness.Sink: the attacker's site
    contexts: list[Any] = field(default_factory=list)
    cleanups: list[Any] = field(default_factory=list)

    @property
    def idp_url(self) -> str:
        return self.stack.cfg.idp_url

    async def new_page(self) -> Any:
        return await (await running.new_context(self.browser, self.contexts)).new_page()

    def http(self, **headers: str) -> httpx.AsyncClient:
        """The attacker's HTTP client to the IdP (127.0.0.1: Python does not resolve *.localhost)."""
        host = urlsplit(self.idp_url).netloc
        return httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.stack.cfg.idp_port}", timeout=15,
                                 headers={"Host": host, **headers})

    async def victim(self) -> Victim:
        """A new Store customer with a verified address (the Store gates unverified ones)."""
        email = f"{self.scenario[:2]}-{secrets.token_hex(3)}@example.com"
        password = "victim-" + secrets.token_urlsafe(9)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.stack.cfg.idp_port}", timeout=15,
                                     headers={"Authorization": self.stack.api_key}) as admin:
            made = await admin.post("/api/user/registration", json={
                "user": {"email": email, "password": password}, "registration": {"applicationId": STORE_ID},
                "skipVerification": True})
            if made.status_code != 200:
                raise RuntimeError(f"could not create the victim: HTTP {made.status_code} {made.text[:200]}")
        return Victim(email, password, made.json()["user"]["id"])

    async def mails(self, to: str, count: int = 1, timeout: float = 20.0) -> list[Any]:
        """The reset emails `to` received, once there are `count` (the IdP's sender delivers them
        to the demo's SMTP server moments after the request)."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.stack.mail.to(to) if "/password/change/" in m.text]
            if len(got) >= count or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.1)

    async def forgot_in_browser(self, page: Any, email: str) -> None:
        """The victim's own "Forgot password?" on the Store's hosted login."""
        await page.goto(f"{self.idp_url}/password/forgot?client_id={STORE_ID}")
        await page.get_by_label("Email").fill(email)
        await page.get_by_role("button", name="Send me a link").click()
        await page.get_by_role("heading", name="Check your email").wait_for()

    async def open_from_inbox(self, page: Any, url: str) -> Any:
        """Click the link in the demo inbox page, as the person reading their mail; returns the
        IdP's response to the page it opens."""
        await page.goto(self.stack.cfg.mail_url + "/")
        target = url.split("?")[0]
        async with page.expect_response(lambda r: r.url.split("?")[0] == target) as answer:
            await page.get_by_role("link", name=url).first.click()
        await page.wait_for_url(lambda u: u.split("?")[0] == target)  # loaded: its <h1> is the IdP's
        return await answer.value


def reset_links(msg: Any) -> list[str]:
    return [u for u in msg.links if "/password/change/" in u]


# --- running ---------------------------------------------------------------------------------------

def load(only: Sequence[str] | None = None) -> list[ModuleType]:
    from authgate_demo.attacks.scenarios import lifecycle as pkg

    return running.load_scenarios(pkg, only)


async def _one(mod: ModuleType, ctx: LifecycleCtx, timeout: float) -> Cell:
    cell = await running.run_cell(mod, ctx, timeout, COLUMN)
    cell.scenario, cell.mode = mod.ID, COLUMN
    return cell


async def run_lifecycle_matrix(browser: Any, browser_problem: str, sink: Any, data_root: Path, *,
                               only: Sequence[str] | None = None, jwt_ttl: int = 8,
                               progress: Callable[[Cell], None] | None = None, scenario_timeout: float = 90.0,
                               idp_overrides: dict[str, Any] | None = None) -> Matrix:
    from authgate_demo.attacks.harness import _START_LOCK, free_port

    began = time.perf_counter()
    mods = load(only)
    cells: list[Cell] = []
    env = {"workflow mode": MODE, "reset link lifetime": f"{RESET_TTL}s",
           "database": "PostgreSQL" if (idp_overrides or {}).get("database_url") else "SQLite"}

    def stamped(cell: Cell, mod: ModuleType) -> Cell:
        cell.scenario, cell.mode = mod.ID, COLUMN
        return cell

    if mods and browser is None:
        cells = [stamped(not_run(browser_problem or "Chromium is not available"), m) for m in mods]
    elif mods:
        cfg = StackConfig(mode=MODE, data_dir=data_root / "lifecycle", idp_port=free_port(), store_port=free_port(),
                          forums_port=free_port(), mail_port=free_port(), smtp_port=free_port(), jwt_ttl=jwt_ttl,
                          leeway_seconds=0,
                          idp_overrides={"change_password_id_ttl_seconds": RESET_TTL, **(idp_overrides or {})})
        stack = Stack(cfg)
        try:
            async with _START_LOCK:
                await stack.start()
        except Exception as exc:  # noqa: BLE001
            with contextlib.suppress(Exception):
                await stack.stop()
            cells = [stamped(not_run(f"the demo stack did not start: {exc}"), m) for m in mods]
        else:
            try:
                for mod in mods:
                    cell = await _one(mod, LifecycleCtx(mod.ID, stack, browser, sink), scenario_timeout)
                    cells.append(cell)
                    if progress:
                        progress(cell)
            finally:
                await stack.stop()
    infos = [ScenarioInfo(m.ID, m.TITLE, (m.__doc__ or "").strip()) for m in mods]
    return Matrix(list(COLUMNS), infos, cells, time.perf_counter() - began, env)
