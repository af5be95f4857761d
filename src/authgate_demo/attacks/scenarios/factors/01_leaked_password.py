"""A leaked password replayed from outside the browser.

Threat: the victim's password is known (a breach of another site where it was reused, a
keylogger, a phishing page last month). The attacker, on their own machine, logs in with it: at
the FusionAuth Login API (`POST /api/login`, as a native app would) and through the hosted login
page (the Store's login, walked with an HTTP client: the IdP's form, its CSRF token, the Store's
callback).
Stolen: a session as the victim -- a JWT and refresh token from the API, the Store's session
cookie from the hosted login -- if the password is all the IdP asks for.
What stops it: a second factor. The password is still checked (and a right one is confirmed by a
242), but no token is issued until a code or a passkey assertion follows.
"""
from __future__ import annotations

from authgate_demo.attacks import outside
from authgate_demo.attacks.factors import API, HOSTED
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios.factors import api_login, said, token_of, use_token

ID = "f1-leaked-password-replay"
TITLE = "Leaked password replayed from outside the browser (Login API and hosted login)"


def applies(setup: str) -> str | None:
    return None


def needs(setup: str) -> tuple[str, ...]:
    return () if setup == "password" else (API, HOSTED)


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.account()
    evidence = [f"victim {victim.email} ({ctx.setup}); the attacker holds only the password"]
    async with outside.client() as http:
        r = await api_login(ctx, http, victim.email, victim.password)
        evidence.append("Login API: " + said(r))
        token = token_of(r)
        if token:
            used = await use_token(ctx, http, token)
            evidence.append(f"the JWT at the Store: {used.request.method} {used.request.url.path} -> {used.status_code}")
            token = token if used.status_code == 200 else None
    async with outside.client() as http:
        hosted = await outside.hosted_login(http, ctx.url("store"), ctx.data_path, victim.email, victim.password)
    evidence += ["hosted login: " + e for e in hosted.evidence]
    got = [what for what, ok in (("a JWT and refresh token from /api/login", bool(token)),
                                 ("the Store's session via the hosted login", hosted.result == "session")) if ok]
    if got:
        return succeeded(stolen=" and ".join(got), usable_for=f"the JWT {ctx.jwt_ttl}s, renewable with the refresh token "
                         "until it is revoked", mitigation="a second factor (TOTP or a passkey)", evidence=evidence)
    return blocked("second factor: the right password gets a 242 / the second-factor page, never a token", evidence,
                   stolen="nothing usable (the 242 tells the attacker the password is right)")
