"""Password-reset link poisoning through a forged Host / X-Forwarded-Host.

Threat: the attacker asks for a password reset for the victim's address from their own machine,
with `Host: evil.authgate.localhost` (and, in a second request, `X-Forwarded-Host` pointing there,
as a proxy would forward it). An IdP that builds the emailed link from the request's host sends
the victim a genuine reset email whose link goes to the attacker's site; the victim clicks it and
hands the attacker the single-use secret, who then sets the victim's password.
Stolen: the victim's reset secret (and with it the account) -- if the link follows the header.
What stops it: links in emails are built from the configured issuer (`AUTHGATE_ISSUER`,
lifecycle/links.py), never from the request. The victim reads both emails on the demo inbox page
in Chromium and clicks the link: it opens the IdP's own reset page; the attacker's site gets nothing.
"""
from __future__ import annotations

import html
from urllib.parse import urlsplit

from authgate_demo.attacks.lifecycle import reset_links
from authgate_demo.attacks.matrix import Cell, blocked, not_run, succeeded
from authgate_demo.attacks.outside import forms_of
from authgate_demo.attacks.scenarios.lifecycle import heading, link_evidence

ID = "l1-reset-link-poisoning"
TITLE = "Reset-link poisoning: the attacker asks for the victim's reset with a forged Host / X-Forwarded-Host"


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.victim()
    evil = urlsplit(ctx.sink.origin).netloc
    evidence = [f"victim {victim.email}; the attacker's site is {ctx.sink.origin}"]
    for forged in ({"Host": evil}, {"X-Forwarded-Host": evil, "X-Forwarded-Proto": "http"}):
        async with ctx.http(**forged) as http:
            page = await http.get("/password/forgot")
            fields = {k: html.unescape(v) for k, v in forms_of(page.text).forms[0]["fields"].items()}
            r = await http.post("/password/forgot", data={**fields, "email": victim.email})
        header = ", ".join(f"{k}: {v}" for k, v in forged.items())
        evidence.append(f"attacker: POST /password/forgot for the victim with {header} -> {r.status_code}"
                        + (" 'Check your email'" if "Check your email" in r.text else ""))
    mails = await ctx.mails(victim.email, 2)
    if not mails:
        return not_run("no reset email reached the victim's inbox: " + "; ".join(evidence))
    links = [u for m in mails for u in reset_links(m)]
    evidence.append(f"{len(mails)} reset email(s) in the victim's inbox; their links: "
                    + ", ".join(link_evidence(u) for u in links))
    poisoned = [u for u in links if urlsplit(u).netloc == evil]
    # The victim, in Chromium: the inbox page, the newest message's link, one click.
    browser = await ctx.new_page()
    answer = await ctx.open_from_inbox(browser, links[-1])
    landed = urlsplit(browser.url).netloc
    evidence.append(f"victim clicked the link in the inbox page: landed on {landed} ({answer.status}), "
                    f"page '{await heading(browser)}'")
    if poisoned or landed == evil:
        return succeeded(stolen="the victim's reset link pointed at the attacker's site",
                         usable_for="until the victim or the attacker uses it, or it expires",
                         mitigation="build links from the configured issuer, never from Host / X-Forwarded-Host",
                         evidence=evidence)
    return blocked("links are built from AUTHGATE_ISSUER, never from Host / X-Forwarded-Host: "
                   "the email the attacker triggered points at the IdP", evidence)
