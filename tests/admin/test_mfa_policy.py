"""The console respects its application's MFA policy: with `Required`, signing in needs a second
factor (the authorize request asks for it with acr_values, and the callback checks `amr`)."""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

from authgate.clock import clock
from authgate.console import CONSOLE_APP_ID
from authgate.mfa import factors, totp
from authgate.web.app import create_app
from tests.admin.conftest import ADMIN_EMAIL, PASSWORD, Console, new_client
from tests.mfa.hosted import form_with
from tests.oauth2.conftest import form_fields


def _code(secret: bytes) -> str:
    return totp.code_at(secret, int(clock.now()) // totp.STEP_SECONDS)


async def test_required_mfa_asks_for_the_second_factor(console: Console) -> None:
    reg = console.reg
    row = await reg.db.applications.get(CONSOLE_APP_ID)
    doc = {**row["doc"], "multiFactorConfiguration": {"loginPolicy": "Required"}}
    assert await reg.db.applications.replace(CONSOLE_APP_ID, doc, row["version"])
    reg.apps.invalidate()
    secret = secrets.token_bytes(20)
    await factors.enable_totp(reg, console.admin_user["id"], secret, _code(secret))
    clock.advance(totp.STEP_SECONDS)  # a code is accepted once per time step

    async with new_client(create_app(reg.settings, reg)) as c:
        start = await c.get("/admin/")
        assert parse_qs(urlsplit(start.headers["location"]).query)["acr_values"] == ["urn:authgate:acr:mfa"]
        page = await c.get(start.headers["location"])
        fields = form_fields(page.text)
        fields.update(loginId=ADMIN_EMAIL, password=PASSWORD)
        second = await c.post("/oauth2/authorize", data=fields)
        assert second.status_code == 200 and "code" in second.text.lower()  # the second-factor form, not the console
        form = form_with(second.text, "code")
        form["code"] = _code(secret)
        back = await c.post("/oauth2/authorize", data=form)
        assert back.status_code == 303 and "/admin/callback?" in back.headers["location"]
        assert (await c.get(back.headers["location"])).status_code == 200
        assert (await c.get("/admin/users")).status_code == 200
