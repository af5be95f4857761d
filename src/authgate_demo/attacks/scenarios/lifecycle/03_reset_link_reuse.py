"""A reset link used again after the victim used it, or after it expired.

Threat: reset links outlive their use -- in the mailbox, the browser history, a proxy's log, a
shared computer. The victim resets their password from the email in Chromium. Later the attacker,
in a browser of their own, opens that same link to set a password of their choice; and opens a
second link the victim asked for but never used, once it is older than its lifetime. They also
try both at FusionAuth's API (`POST /api/user/change-password/{changePasswordId}`).
Stolen: the account (a password the attacker chose), if either link still works.
What stops it: a reset id is single-use (spent atomically with the password change) and lives
`AUTHGATE_CHANGE_PASSWORD_ID_TTL_SECONDS` (10 minutes by default; this stack: the RESET_TTL of
attacks/lifecycle.py); a reset also voids the user's other reset links. The ids are stored as
digests and checked on every request: the page says "This link cannot be used".
"""
from __future__ import annotations

import asyncio

from authgate_demo.attacks.lifecycle import RESET_TTL, reset_links
from authgate_demo.attacks.matrix import Cell, blocked, not_run, succeeded
from authgate_demo.attacks.scenarios.lifecycle import heading, link_evidence

ID = "l3-reset-link-reuse"
TITLE = "Reset link reused after the victim's reset, or used after it expired"


async def _attacker_tries(ctx, url: str, password: str) -> tuple[bool, list[str]]:  # type: ignore[no-untyped-def]
    """The attacker opens the link in their own browser and, if a form is there, sets a password;
    then tries the API. True if a password was set."""
    evidence = []
    page = await ctx.new_page()
    answer = await page.goto(url)
    title = await heading(page)
    evidence.append(f"attacker's browser opens {link_evidence(url)}: {answer.status} '{title}'")
    took = False
    if await page.get_by_label("New password", exact=True).count():
        await page.get_by_label("New password", exact=True).fill(password)
        await page.get_by_label("Confirm new password").fill(password)
        await page.get_by_role("button", name="Change password").click()
        await page.wait_for_load_state()
        after = await heading(page)
        evidence.append(f"attacker submits a new password: '{after}'")
        took = "changed" in after.lower()
    secret = url.split("/password/change/")[1].split("?")[0]
    async with ctx.http() as http:
        r = await http.post(f"/api/user/change-password/{secret}", json={"password": password})
    evidence.append(f"attacker: POST /api/user/change-password/{{id}} -> {r.status_code}")
    return took or r.status_code == 200, evidence


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.victim()
    evidence = [f"victim {victim.email}; reset links live {RESET_TTL}s in this stack"]
    page = await ctx.new_page()
    await ctx.forgot_in_browser(page, victim.email)
    first = await ctx.mails(victim.email, 1)
    if not first:
        return not_run("the victim's reset email did not arrive")
    used = reset_links(first[-1])[0]
    await ctx.open_from_inbox(page, used)
    new_password = "victims-new-" + victim.password
    await page.get_by_label("New password", exact=True).fill(new_password)
    await page.get_by_label("Confirm new password").fill(new_password)
    await page.get_by_role("button", name="Change password").click()
    await page.get_by_role("heading", name="Your password was changed").wait_for()
    evidence.append(f"victim resets from the inbox in Chromium: '{await heading(page)}'")
    await ctx.forgot_in_browser(page, victim.email)  # a second link, never used by the victim
    second = await ctx.mails(victim.email, 2)
    if len(second) < 2:
        return not_run("the victim's second reset email did not arrive: " + "; ".join(evidence))
    unused = reset_links(second[-1])[0]

    took_used, seen = await _attacker_tries(ctx, used, "attackers-choice-1")
    evidence += ["(reused) " + e for e in seen]
    await asyncio.sleep(RESET_TTL + 1)
    took_expired, seen = await _attacker_tries(ctx, unused, "attackers-choice-2")
    evidence += [f"(expired, {RESET_TTL + 1}s later) " + e for e in seen]
    async with ctx.http() as http:
        r = await http.post("/api/login", json={"loginId": victim.email, "password": new_password})
    evidence.append(f"the victim's own new password still logs in: POST /api/login -> {r.status_code}")
    if took_used or took_expired:
        return succeeded(stolen="the account: the attacker set its password with an old link",
                         usable_for="as long as the link was accepted",
                         mitigation="single-use reset ids with a short lifetime", evidence=evidence)
    return blocked("single-use reset ids (spent with the password change) that expire "
                   f"({RESET_TTL}s here, 10 minutes by default): 'This link cannot be used'", evidence)
