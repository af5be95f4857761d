"""A refresh token replayed after it was rotated (OneTimeUse): reuse detection.

Threat: the attacker copied the victim's refresh token; the victim's app has since used it (so
the IdP rotated it) and the attacker now replays the old one. With rotation on, the IdP sees a
used token again, concludes it was stolen (RFC 9700 4.14.2) and revokes the whole token family:
the attacker gets nothing, and the victim's current refresh token dies too, so the legitimate
session is forced to log in again (visible in the real SPA: its login form/button comes back).
Stolen: an already-rotated refresh token. Usable: not at all, if reuse detection works.
Mitigation: refresh token rotation + reuse detection (refreshTokenUsagePolicy OneTimeUse,
on by default for new applications).
Native mode replays at the IdP's /api/jwt/refresh; code-pkce-cookie replays the stolen cookie
through the Store backend's own /api/refresh (the only caller holding the client secret).
Does not apply to the implicit modes (no refresh tokens) nor to bff (nothing to copy).
"""
from __future__ import annotations

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import IMPLICIT, describe, short

ID = "05-refresh-reuse-after-rotation"
TITLE = "Rotated refresh token replayed: the whole family is revoked (reuse detection)"


def applies(mode: str) -> str | None:
    if mode in IMPLICIT:
        return "the implicit grant issues no refresh token"
    if mode == "bff":
        return "the refresh token never leaves the BFF's database: the attacker cannot copy it"
    return None


async def expire_jwt_and_reload(ctx, page) -> None:  # type: ignore[no-untyped-def]
    """Make the SPA meet an expired JWT now (drop its JWT cookie) and let it recover by itself."""
    await page.context.clear_cookies(name="app_jwt")
    await page.click("#reload-button")


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    native = ctx.mode == "native-refresh-cookie"
    app, name = ("idp", "refresh_token") if native else ("store", "app_refresh")
    old = (await ctx.cookies(page.context, app)).get(name)
    if not old:
        return blocked("no refresh token in the browser", [f"no {name} cookie"])
    evidence = [f"attacker copies refresh token {short(old)} ({name} cookie)"]

    # 1. The victim's SPA refreshes by itself: the IdP rotates the token.
    await expire_jwt_and_reload(ctx, page)
    await page.locator("#event-log").filter(
        has_text="Refresh -> 200" if native else "Our backend refreshed the JWT").wait_for()
    # settled: the cookie drop is done and the cart loaded again after the refresh
    await page.locator("#event-log li:last-child").filter(has_text="GET /api/load-shopping-cart -> 200").wait_for()
    new = (await ctx.cookies(page.context, app)).get(name)
    evidence.append(f"victim's SPA refreshed; cookie now {short(new or '')} (rotated: {new != old})")
    if new == old:
        return succeeded(stolen="a refresh token that was not rotated", usable_for="until it expires (24 h here)",
                         mitigation="rotation is off (Reusable): turn on OneTimeUse", evidence=evidence)

    # 2. The attacker replays the rotated (old) token.
    if native:
        r = await ctx.attack("POST", "idp", "/api/jwt/refresh", json={"refreshToken": old})
    else:
        r = await ctx.attack("POST", "store", "/api/refresh", cookies={name: old})
    evidence.append(f"attacker replays the old token: {describe(r)}")
    live = await ctx.attack("GET", "idp", "/api/jwt/refresh", params={"userId": ctx.stack.user_id},
                            headers={"Authorization": ctx.stack.api_key})
    if live.status_code == 200:
        evidence.append(f"the IdP lists {len(live.json()['refreshTokens'])} live refresh token(s) for the victim after the replay")

    # 3. The victim's next refresh: the family should be gone.
    await expire_jwt_and_reload(ctx, page)
    relogin = page.locator("#login-form" if native else "#login-button")
    forced = True
    try:
        await relogin.wait_for(state="visible", timeout=8000)
    except Exception:  # noqa: BLE001
        forced = False
    lines = await page.locator("#event-log li").all_inner_texts()
    last = lines[-1] if forced else " / ".join(x.split(" ", 2)[-1] for x in lines[-6:])
    evidence.append(f"victim's next refresh failed: the SPA shows its login again ({last[last.find(' ') + 1:]!r})"
                    if forced else f"victim's session survived the replay (family NOT revoked); SPA: {last!r}")
    if r.status_code == 200:
        return succeeded(stolen="a rotated refresh token", usable_for="accepted after rotation",
                         mitigation="reuse detection missing", evidence=evidence)
    if not forced:
        return succeeded(stolen="a rotated refresh token (refused), but the family lived on",
                         usable_for="attacker refused; the token family was not revoked",
                         mitigation="reuse detection incomplete: the victim's current token should have been revoked",
                         evidence=evidence)
    return blocked("refresh token rotation + reuse detection: the family was revoked, the victim must log in again",
                   evidence, stolen="a rotated refresh token")
