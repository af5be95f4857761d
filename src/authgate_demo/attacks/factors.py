"""The factor x attack matrix: the attacks on the login itself, against three login setups.

One stack for the whole matrix (code-pkce-cookie: the recommended workflow; the hosted login and
the FusionAuth Login API are the same in every mode), the run's Chromium, and per cell a fresh
victim account set up for its column, so a cell's lockout or spent code never leaks into another:
- `password`: a password only;
- `password+totp`: a password and an authenticator app (RFC 6238), with ten recovery codes;
- `passkey`: a WebAuthn passkey in a virtual authenticator on the victim's tab, used alone
  ("Sign in with a passkey") or after the password (the account still has one, as FusionAuth's do).
Enrolment uses the MFA core directly (it is the setting of the scene, not the attack); every
attack goes through the servers' HTTP interfaces and, where a person is fooled, real Chromium.

A cell that needs a flow this build lacks (the Login API's 242 and /api/two-factor/login, the
hosted login's second-factor page) is `not run`, naming what is missing -- never guessed.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from authgate_demo.attacks import passkey, running
from authgate_demo.attacks.matrix import Cell, Matrix, ScenarioInfo, not_applicable, not_run
from authgate_demo.attacks.running import run_cell
from authgate_demo.stack import STORE_ID, Stack, StackConfig

SETUPS = ("password", "password+totp", "passkey")
MODE = "code-pkce-cookie"
DATA_PATH = "/api/load-shopping-cart"
API, HOSTED = "api", "hosted"
NEEDS_TEXT = {
    API: "the Login API's second-factor flow (/api/login answering 242, POST /api/two-factor/login)",
    HOSTED: "the hosted login's second-factor page",
}
log = logging.getLogger("authgate_demo.attacks")
# The hosted login's second-factor page (not the account page's MFA sections).
HOSTED_PAGE = re.compile(r"^(login_)?(two_factor|second_factor|mfa|factor)\w*\.html$")


@dataclass
class Account:
    """A victim for one cell. `password` is what leaked; the factors are the victim's own."""

    setup: str
    email: str
    password: str
    user_id: str
    totp_secret: bytes | None = None
    last_step: int = -1  # the newest TOTP time step already spent
    recovery_codes: list[str] = field(default_factory=list)
    page: Any = None  # passkey: the victim's tab, which holds the authenticator
    cdp: Any = None
    authenticator_id: str = ""
    credential_id: str = ""

    def window_codes(self) -> set[str]:
        """Every code the IdP would accept right now (RFC 6238 5.2: one step either side)."""
        from authgate.clock import clock
        from authgate.mfa import totp

        assert self.totp_secret is not None
        now = int(clock.now()) // totp.STEP_SECONDS
        return {totp.code_at(self.totp_secret, s) for s in range(now - totp.WINDOW - 1, now + totp.WINDOW + 2)}

    async def next_code(self) -> str:
        """The code the victim's authenticator app shows next (waits for a new time step when the
        current and the next one are both spent: a code is accepted once)."""
        from authgate.clock import clock
        from authgate.mfa import totp

        assert self.totp_secret is not None
        while True:
            now = int(clock.now()) // totp.STEP_SECONDS
            step = max(now, self.last_step + 1)
            if step <= now + totp.WINDOW:
                self.last_step = step
                return totp.code_at(self.totp_secret, step)
            await asyncio.sleep((now + 1) * totp.STEP_SECONDS - clock.now() + 0.05)


@dataclass
class FactorCtx:
    setup: str
    scenario: str
    stack: Stack
    browser: Any
    flows: dict[str, bool]
    contexts: list[Any] = field(default_factory=list)
    cleanups: list[Callable[[], Any]] = field(default_factory=list)

    def url(self, app: str) -> str:
        return {"idp": self.stack.cfg.idp_url, "store": self.stack.cfg.store_url}[app]

    @property
    def app_id(self) -> str:
        return STORE_ID

    @property
    def data_path(self) -> str:
        return DATA_PATH

    @property
    def jwt_ttl(self) -> int:
        return self.stack.cfg.jwt_ttl

    async def new_page(self) -> Any:
        return await (await running.new_context(self.browser, self.contexts)).new_page()

    async def account(self) -> Account:
        """A new victim registered for the Store and set up for this cell's column."""
        email = f"{self.scenario[:2]}-{self.setup.replace('+', '-')}-{secrets.token_hex(3)}@example.com"
        password = "leaked-" + secrets.token_urlsafe(9)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.stack.cfg.idp_port}", timeout=15,
                                     headers={"Authorization": self.stack.api_key}) as admin:
            # A long-standing account: its address was verified long ago (the demo's Store gates unverified ones).
            made = await admin.post("/api/user", json={"user": {"email": email, "password": password},
                                                       "skipVerification": True})
            if made.status_code != 200:
                raise RuntimeError(f"could not create the victim: HTTP {made.status_code} {made.text[:200]}")
            user_id = made.json()["user"]["id"]
            reg = await admin.post(f"/api/user/registration/{user_id}", json={"registration": {"applicationId": STORE_ID}})
            if reg.status_code != 200:
                raise RuntimeError(f"could not register the victim: HTTP {reg.status_code} {reg.text[:200]}")
        account = Account(self.setup, email, password, user_id)
        if self.setup == "password+totp":
            await self._enrol_totp(account)
        elif self.setup == "passkey":
            await self._enrol_passkey(account)
        return account

    async def _enrol_totp(self, account: Account) -> None:
        from authgate.clock import clock
        from authgate.mfa import factors, totp

        account.totp_secret = totp.new_secret()
        step = int(clock.now()) // totp.STEP_SECONDS
        _, codes = await factors.enable_totp(self.stack.registry, account.user_id, account.totp_secret,
                                             totp.code_at(account.totp_secret, step))
        account.last_step, account.recovery_codes = step, list(codes or [])

    async def _enrol_passkey(self, account: Account) -> None:
        """The victim registers a passkey on the IdP's origin, in their own tab."""
        from authgate.mfa import passkeys

        page = await self.new_page()
        account.page = page
        account.cdp, account.authenticator_id = await passkey.add_authenticator(page.context, page)
        await page.goto(self.url("idp") + "/.well-known/openid-configuration")
        user = await self.stack.registry.db.users.get(account.user_id)
        options = await passkeys.registration_options(self.stack.registry, user, "Victim's laptop")
        made = await passkey.create(page, options)
        if "error" in made:
            raise RuntimeError(f"the virtual authenticator did not create a passkey: {made['error']}")
        stored = await passkeys.register(self.stack.registry, account.user_id, made)
        account.credential_id = stored.credential_id


# --- what this build offers ------------------------------------------------------------------------

async def probe_flows(stack: Stack) -> dict[str, bool]:
    """Which second-factor flows the IdP under attack has: read from its OpenAPI document (the
    Login API's 242 and /api/two-factor/login) and from the hosted login (a second-factor page
    template, or the login page's code using the MFA core)."""
    async with httpx.AsyncClient(timeout=10) as http:
        doc = (await http.get(f"http://127.0.0.1:{stack.cfg.idp_port}/openapi.json")).json()
    paths = doc.get("paths", {})
    login = paths.get("/api/login", {}).get("post", {}).get("responses", {})
    api = "/api/two-factor/login" in paths and "242" in login
    templates = [p.name for p in resources.files("authgate.ui").joinpath("templates").iterdir()]
    login_code = resources.files("authgate.ui").joinpath("login.py").read_text(encoding="utf-8")
    hosted = any(HOSTED_PAGE.match(name) for name in templates) or "authgate.mfa" in login_code
    return {API: api, HOSTED: hosted}


def missing(mod: ModuleType, setup: str, flows: dict[str, bool]) -> str | None:
    needs = mod.needs(setup) if hasattr(mod, "needs") else ()
    lacking = [NEEDS_TEXT[n] for n in needs if not flows.get(n)]
    if not lacking:
        return None
    return ("not on this build yet: " + " and ".join(lacking) + " (issue 13's MFA flows); without them the IdP "
            "would let the password through and the cell would measure a missing feature")


# --- running ---------------------------------------------------------------------------------------

def load(only: Sequence[str] | None = None) -> list[ModuleType]:
    from authgate_demo.attacks.scenarios import factors as pkg

    return running.load_scenarios(pkg, only)


async def run_factor_matrix(browser: Any, browser_problem: str, data_root: Path, *, setups: Sequence[str] = SETUPS,
                            only: Sequence[str] | None = None, jwt_ttl: int = 8,
                            progress: Callable[[Cell], None] | None = None, scenario_timeout: float = 90.0,
                            idp_overrides: dict[str, Any] | None = None) -> Matrix:
    from authgate_demo.attacks.harness import _START_LOCK, free_port

    began = time.perf_counter()
    mods = load(only)
    cells: list[Cell] = []
    todo: list[tuple[ModuleType, str]] = []
    for mod in mods:
        for setup in setups:
            reason = mod.applies(setup)
            if reason:
                cells.append(_stamped(not_applicable(reason), mod, setup))
            else:
                todo.append((mod, setup))
    env = {"workflow mode": MODE, "jwt_ttl_seconds": str(jwt_ttl),
           "database": "PostgreSQL" if (idp_overrides or {}).get("database_url") else "SQLite"}
    if todo and browser is None:
        cells += [_stamped(not_run(browser_problem or "Chromium is not available"), m, s) for m, s in todo]
        todo = []
    if todo:
        cfg = StackConfig(mode=MODE, data_dir=data_root / "factors", idp_port=free_port(), store_port=free_port(),
                          forums_port=free_port(), mail_port=free_port(), smtp_port=free_port(), jwt_ttl=jwt_ttl,
                          leeway_seconds=0, idp_overrides=dict(idp_overrides or {}))
        stack = Stack(cfg)
        try:
            async with _START_LOCK:
                await stack.start()
        except Exception as exc:  # noqa: BLE001
            with contextlib.suppress(Exception):
                await stack.stop()
            cells += [_stamped(not_run(f"the demo stack did not start: {exc}"), m, s) for m, s in todo]
            todo = []
        else:
            try:
                flows = await probe_flows(stack)
                env["second-factor flows"] = ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in flows.items())
                for mod, setup in todo:
                    why = missing(mod, setup, flows)
                    if why:
                        cell = _stamped(not_run(why), mod, setup)
                    else:
                        ctx = FactorCtx(setup, mod.ID, stack, browser, flows)
                        cell = _stamped(await run_cell(mod, ctx, scenario_timeout, setup), mod, setup)
                    cells.append(cell)
                    if progress:
                        progress(cell)
            finally:
                await stack.stop()
    order = {m.ID: i for i, m in enumerate(mods)}
    cells.sort(key=lambda c: (order[c.scenario], list(setups).index(c.mode)))
    infos = [ScenarioInfo(m.ID, m.TITLE, (m.__doc__ or "").strip()) for m in mods]
    return Matrix(list(setups), infos, cells, time.perf_counter() - began, env)


def _stamped(cell: Cell, mod: ModuleType, setup: str) -> Cell:
    cell.scenario, cell.mode = mod.ID, setup
    return cell
