"""TOTP replay: a code observed once, replayed inside its window.

Threat: the attacker has the password and sees the code the victim just typed (over the shoulder,
a screen recorder, a log that captured the form) and uses it within the same 30-second window,
from their own machine, at the Login API and at the hosted login.
Stolen: a session, if a code is good for its whole window.
What stops it: a code is accepted once (RFC 6238 section 5.2): each method remembers the last time
step it accepted and takes only newer ones.
Does not apply without a TOTP authenticator (password only, passkey).
"""
from __future__ import annotations

from authgate_demo.attacks import outside
from authgate_demo.attacks.factors import API, HOSTED
from authgate_demo.attacks.harness import NotRunnable
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios.factors import (
    api_login, enter_code, said, token_of, two_factor_login, use_token,
)

ID = "f5-totp-replay"
TITLE = "TOTP replay: a code the victim just used, replayed inside its 30 s window"


def applies(setup: str) -> str | None:
    if setup != "password+totp":
        return "no one-time code in this setup"
    return None


def needs(setup: str) -> tuple[str, ...]:
    return (API, HOSTED)


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.account()
    evidence = [f"victim {victim.email} ({ctx.setup})"]
    # The victim logs in to the Store in Chromium: password, then the code from the app.
    page = await ctx.new_page()
    await page.goto(ctx.url("store") + "/")
    await page.locator("#login-button").click()
    await page.fill("#loginId", victim.email)
    await page.fill("#password", victim.password)
    await page.click("form button[type=submit]")
    code = await victim.next_code()
    if not await enter_code(page, code):
        raise NotRunnable(f"the hosted second-factor page had no code field ({page.url})")
    await page.locator("#data").wait_for(state="visible")
    evidence.append("the victim logged in to the Store in Chromium with the password and the code; the attacker saw the code")
    token = None
    async with outside.client() as http:
        first = await api_login(ctx, http, victim.email, victim.password)
        evidence.append("Login API: " + said(first))
        if first.status_code == 242:
            replay = await two_factor_login(ctx, http, first.json()["twoFactorId"], code)
            evidence.append("the observed code replayed: " + said(replay))
            token = token_of(replay)
            if token:
                used = await use_token(ctx, http, token)
                evidence.append(f"the JWT at the Store -> {used.status_code}")
                token = token if used.status_code == 200 else None
    async with outside.client() as http:
        hosted = await outside.hosted_login(http, ctx.url("store"), ctx.data_path, victim.email, victim.password)
        evidence += ["hosted login: " + e for e in hosted.evidence]
        if hosted.result == "second-factor" and hosted.form is not None:
            fields = [n for n in hosted.form["fields"] if n in ("code", "otp", "totp")] or ["code"]
            answer = await outside.submit_form(http, ctx.url("idp"), hosted.form, {fields[0]: code})
            after = await outside.follow_to_store(http, answer, ctx.url("store"), ctx.data_path, [])
            evidence += ["hosted login, the observed code replayed: " + e for e in after.evidence]
            hosted = after
    if token or hosted.result == "session":
        return succeeded(stolen="a session with a code the victim had already used",
                         usable_for="the code's window (30 s either side)", mitigation="accept each code once (RFC 6238 5.2)",
                         evidence=evidence)
    return blocked("a code is accepted once: the method remembers the last time step it accepted", evidence)
