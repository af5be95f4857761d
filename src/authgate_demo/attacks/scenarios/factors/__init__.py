"""The factor x attack matrix's scenarios, one module each, `<nn>_<name>.py`: its docstring is the
threat (shown in the report); `ID`, `TITLE`, `applies(setup) -> reason it does not apply | None`,
`needs(setup) -> flows it needs` (`factors.API`, `factors.HOSTED`), `async run(ctx) -> Cell`."""
from __future__ import annotations

import re
from typing import Any

import httpx

from authgate_demo.attacks import outside
from authgate_demo.attacks.scenarios import claims_of, short


def said(r: httpx.Response) -> str:
    """`POST /api/login -> 242 (twoFactorId, methods [authenticator])` and the like, for evidence."""
    what = f"{r.request.method} {r.request.url.path} -> {r.status_code}"
    try:
        body = r.json()
    except ValueError:
        return what
    if not isinstance(body, dict):
        return what
    if body.get("token"):
        amr = claims_of(body["token"]).get("amr")
        what += f" with a JWT {short(body['token'])}" + (f" (amr {amr})" if amr else "")
        if body.get("refreshToken"):
            what += " and a refresh token"
    elif "twoFactorId" in body:
        methods = sorted({m.get("method", "?") for m in body.get("methods") or []})
        what += f" twoFactorId, methods {methods}: the password was right, a second factor is asked"
    elif body.get("generalErrors") or body.get("fieldErrors"):
        what += f" {str(body.get('generalErrors') or body.get('fieldErrors'))[:120]}"
    return what


async def api_login(ctx: Any, http: httpx.AsyncClient, login_id: str, password: str) -> httpx.Response:
    return await outside.api_login(http, ctx.url("idp"), ctx.app_id, login_id, password)


async def two_factor_login(ctx: Any, http: httpx.AsyncClient, two_factor_id: str, code: str) -> httpx.Response:
    return await http.post(ctx.url("idp") + "/api/two-factor/login",
                           json={"twoFactorId": two_factor_id, "code": code, "applicationId": ctx.app_id})


async def use_token(ctx: Any, http: httpx.AsyncClient, token: str) -> httpx.Response:
    """The attacker spends an access token at the Store, as a Bearer token."""
    return await http.get(ctx.url("store") + ctx.data_path, headers={"Authorization": f"Bearer {token}"})


def token_of(r: httpx.Response) -> str | None:
    if r.status_code != 200:
        return None
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("token") if isinstance(body, dict) else None


CODE_FIELD = "input[autocomplete='one-time-code'], input[name='code']"
CHOOSE_CODE = re.compile(r"authenticator|one-time code|code from", re.I)


async def enter_code(page: Any, code: str) -> bool:
    """The victim types a code on the (possibly relayed) second-factor page, as a person would:
    the code field, or first the choice that leads to it. False if the page offers neither."""
    field = page.locator(CODE_FIELD).first
    try:
        await field.wait_for(state="visible", timeout=5000)
    except Exception:  # noqa: BLE001 - Playwright's timeout: look for a choice of method instead
        choice = page.get_by_role("button", name=CHOOSE_CODE).or_(page.get_by_role("link", name=CHOOSE_CODE))
        if not await choice.count():
            return False
        await choice.first.click()
        try:
            await field.wait_for(state="visible", timeout=5000)
        except Exception:  # noqa: BLE001
            return False
    await field.fill(code)
    await field.press("Enter")
    return True
