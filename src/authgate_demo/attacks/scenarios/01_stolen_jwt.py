"""Stolen JWT replayed from outside the browser.

Threat: the attacker obtained the victim's access token (a JWT) -- from localStorage via XSS,
from the wire, a log, a proxy, or the browser's cookie jar -- and replays it from their own
machine to the Store backend, as `Authorization: Bearer` and as the Store's JWT cookie.
A JWT is a bearer token verified locally by the Store (signature, iss, aud, exp): nothing ties it
to the victim's browser, and logging out at the IdP does not reach the Store.
Stolen: the JWT. Usable until its `exp`, logout or not.
What limits it: short JWT lifetimes (the only thing that ends it); code+PKCE/BFF keep it away
from page script (see scenarios 2, 3); DPoP binds it to a key (scenario 8).
Does not apply to bff: the browser never holds a JWT there.
"""
from __future__ import annotations

import asyncio
import time

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import claims_of, describe, log_out, short

ID = "01-stolen-jwt-replay"
TITLE = "Stolen JWT replayed to the Store (header and cookie)"


def applies(mode: str) -> str | None:
    if mode == "bff":
        return "the browser never holds a JWT: only an opaque session id; the tokens stay in the BFF's database"
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    if ctx.mode == "implicit-localstorage":
        jwt = await page.evaluate("localStorage.getItem('authgate.jwt')")
        where = "localStorage"
    else:
        jwt = (await ctx.cookies(page.context, "store")).get("app_jwt")
        where = "the Store's HttpOnly app_jwt cookie (cookie jar or wire; page script cannot read it)"
    if not jwt:
        return blocked("no JWT in the browser", [f"no JWT found in {where}"])
    claims = claims_of(jwt)
    evidence = [f"JWT {short(jwt)} from {where}; exp in {claims['exp'] - int(time.time())}s, aud={claims.get('aud')}"]
    route = "/api/load-shopping-cart"
    r_header = await ctx.attack("GET", "store", route, headers={"Authorization": f"Bearer {jwt}"})
    r_cookie = await ctx.attack("GET", "store", route, cookies={"app_jwt": jwt})
    evidence += [f"replayed as Bearer header: {describe(r_header)}", f"replayed as cookie: {describe(r_cookie)}"]
    if 200 not in (r_header.status_code, r_cookie.status_code):
        return blocked("the Store refused the replayed JWT", evidence)

    # The victim logs out through the UI: does that end the stolen JWT?
    await log_out(page)
    r_after_logout = await ctx.attack("GET", "store", route, headers={"Authorization": f"Bearer {jwt}"})
    r_idp = await ctx.attack("GET", "idp", "/api/jwt/validate", headers={"Authorization": f"Bearer {jwt}"})
    evidence += [f"after the victim logged out: Store {describe(r_after_logout)}; IdP {describe(r_idp)}"]

    # Wait for exp and try again: short lifetimes are what ends it.
    wait = claims["exp"] - time.time() + 1.2
    if wait > 0:
        await asyncio.sleep(wait)
    r_expired = await ctx.attack("GET", "store", route, headers={"Authorization": f"Bearer {jwt}"})
    evidence.append(f"after exp: {describe(r_expired)}")
    lifetime = claims["exp"] - claims.get("iat", claims["exp"])
    survived_logout = r_after_logout.status_code == 200
    ended_at_exp = r_expired.status_code == 401
    usable = (f"{lifetime}s (until exp{'' if ended_at_exp else ' and BEYOND: still accepted after exp'}); "
              f"{'logout did not end it' if survived_logout else 'ended by logout'}")
    return succeeded(
        stolen=f"the victim's JWT (from {where.split(' (')[0]})",
        usable_for=usable,
        mitigation=("short JWT lifetime (ended it at exp); the Store verifies JWTs locally, so revocation on "
                    "logout only reaches the IdP" if survived_logout else "short JWT lifetime; revocation on logout"),
        evidence=evidence,
    )
