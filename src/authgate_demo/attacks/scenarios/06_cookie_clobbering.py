"""Refresh-cookie clobbering between the Store and the Forums (native mode).

Threat (seed 001): in native mode each app's SPA posts to the IdP's `/api/login` and the IdP
keeps the refresh token in one `refresh_token` cookie on its own origin. The victim logs in to
the Store, then to the Forums in the same browser: the Forums' login overwrites the cookie. The
Store's next refresh sends the Forums' token and gets a JWT for the Forums, which the Store's
cookie drop rejects (wrong audience): the victim is logged out of the Store. Any page of any app
that can call the IdP with credentials can do the same on purpose.
Stolen: nothing -- this is a denial of service / session confusion.
What stops it: each app keeping its own refresh token on its own origin (code+PKCE with HttpOnly
cookies, BFF) -- there, no app writes another app's cookie.
Applies only to native-refresh-cookie: the other modes keep no refresh token in an IdP cookie.
"""
from __future__ import annotations

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import short

ID = "06-refresh-cookie-clobbering"
TITLE = "Refresh-cookie clobbering between Store and Forums"


def applies(mode: str) -> str | None:
    if mode != "native-refresh-cookie":
        return ("only native-refresh-cookie keeps the refresh token in one shared cookie on the IdP origin; "
                "here each app's tokens live on its own origin (or none exist)")
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    store = await ctx.victim("store")
    before = (await ctx.cookies(store.context, "idp")).get("refresh_token", "")
    forums = await ctx.victim("forums", context=store.context)
    after = (await ctx.cookies(store.context, "idp")).get("refresh_token", "")
    evidence = [f"IdP refresh_token cookie after the Store login {short(before)}, after the Forums login {short(after)}"]
    # (No probe of the new cookie at the IdP here: using it would rotate it under the browser.)
    await forums.close()
    await store.context.clear_cookies(name="app_jwt", domain=ctx.host("store").split(":")[0])
    await store.click("#reload-button")
    lost = True
    try:
        await store.locator("#login-form").wait_for(state="visible", timeout=8000)
    except Exception:  # noqa: BLE001
        lost = False
    lines = await store.locator("#event-log li").all_inner_texts()
    evidence.append("Store SPA after its next refresh: " + " / ".join(x.split(" ", 2)[-1] for x in lines[-3:]))
    if before == after or not lost:
        return blocked("the Store kept its own refresh token", evidence)
    return succeeded(stolen="nothing: the Store's refresh token was overwritten by the Forums' (session confusion)",
                     usable_for="the Store session ends at its next refresh",
                     mitigation="none in this mode; code+PKCE / BFF keep each app's refresh token on its own origin",
                     evidence=evidence)
