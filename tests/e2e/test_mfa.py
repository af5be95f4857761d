"""Multi-factor and passkeys in Chromium against the real IdP (the demo stack, code-pkce-cookie):
enrol an authenticator app and a passkey on the account page, log in with each, log in with the
passkey alone, and get the second-factor page inside an SSO session when `acr_values` asks for
it. The passkey lives in Chrome DevTools' virtual authenticator (CDP WebAuthn.*: CTAP2, internal
transport, resident keys, user verification). Also: the native-login Store's code field after a
242. Then removing factors on the account page: refused without a fresh factor, done with the
passkey's answer. On SQLite and on PostgreSQL (the IdP on a fresh schema); one Chromium and one
IdP stack per backend for the module. Screenshots go to test-artifacts/mfa[-postgres]/ (a copy is
in docs/screenshots/ for the README).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import expect

from authgate.mfa import factors, totp
from authgate_demo.attacks.harness import CHROMIUM_ARGS
from authgate_demo.attacks.passkey import add_authenticator, credentials

from tests.conftest import BACKENDS, backend_of, idp_database

from .conftest import CHROMIUM
from .harness import EXPECT_TIMEOUT, STORE_ID, RecordingStack, Shots, fill_hosted_login, running_stack, until

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]
CART_FIRST = "2 x Earl Grey tea, 100 g"
MFA = "urn:authgate:acr:mfa"

expect.set_options(timeout=EXPECT_TIMEOUT)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Module-wide, so each backend's tests share one browser stack (pytest groups them by it)."""
    return backend_of(request)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One Chromium for the module (the conftest's is per test)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RecordingStack]:
    """The code-pkce-cookie demo stack, one per backend for the whole module."""
    async with idp_database(backend) as overrides:
        async with running_stack(tmp_path_factory.mktemp(f"mfa-{backend}"), "code-pkce-cookie", jwt_ttl=120,
                                 idp_overrides=overrides) as s:
            yield s


def shots(backend: str) -> Shots:
    return Shots("mfa" if backend == "sqlite" else f"mfa-{backend}")


async def fresh_code(secret: str, used: list[int]) -> str:
    """A code the app shows now or next (RFC 6238's window takes one step either side), from a
    step after every code used before it (codes are accepted once): two codes without a wait."""
    step = max(int(time.time()) // 30, used[-1] + 1 if used else 0)
    while step > int(time.time()) // 30 + 1:
        await asyncio.sleep(0.5)
    used.append(step)
    return pyotp.TOTP(secret).at(step * 30)


async def presence(cdp: Any, authenticator: str, on: bool) -> None:
    """Whether the virtual authenticator answers at once (a touch) or waits."""
    await cdp.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": authenticator, "enabled": on})


async def store_login(page: Any, stack: RecordingStack) -> None:
    await page.goto(stack.cfg.store_url + "/")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Email or username")).to_be_visible()


def step_up_url(stack: RecordingStack) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return stack.cfg.idp_url + "/oauth2/authorize?" + urlencode({
        "client_id": STORE_ID, "redirect_uri": stack.cfg.store_url + "/api/oauth-callback", "response_type": "code",
        "scope": "openid", "state": "step-up", "code_challenge": challenge, "code_challenge_method": "S256",
        "acr_values": MFA})


async def test_enrol_totp_and_passkey_then_log_in_with_each(browser: Any, stack: RecordingStack, backend: str) -> None:
    shot = shots(backend)
    context = await browser.new_context()
    page = await context.new_page()
    cdp, authenticator = await add_authenticator(context, page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Signed in with the password: the SSO session records only `pwd`.
    await store_login(page, stack)
    await shot(page, "login-page-with-passkey-button")
    await fill_hosted_login(page)
    await expect(page.locator("#items li").first).to_have_text(CART_FIRST)

    # The account page: an authenticator app, confirmed with its current code.
    await page.goto(stack.cfg.idp_url + "/account/mfa")
    await expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    await page.get_by_role("button", name="Set up an authenticator app").click()
    await expect(page.locator("svg.qr")).to_be_visible()
    await shot(page, "account-totp-qr-code")
    secret = (await page.locator("#totp-secret").inner_text()).strip()
    used: list[int] = []
    await page.get_by_label("Code shown by the app").fill(await fresh_code(secret, used))
    await page.get_by_role("button", name="Turn on").click()
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    recovery = await page.locator("#recovery-codes li").all_inner_texts()
    await shot(page, "account-recovery-codes-shown-once")

    # A passkey, registered through the page's ES module and the virtual authenticator.
    await page.goto(stack.cfg.idp_url + "/account/mfa")
    await page.locator("#add-passkey-code").fill(recovery[9])  # the account has a factor: adding takes a fresh one
    await page.get_by_label("Name for the new passkey").fill("Laptop")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.get_by_text("Your passkey was added.")).to_be_visible()
    await expect(page.get_by_label("Passkey name")).to_have_value("Laptop")
    held = await credentials(cdp, authenticator)
    assert len(held) == 1 and held[0]["rpId"] == "idp.authgate.localhost" and held[0]["isResidentCredential"]
    await shot(page, "account-passkey-listed")

    # Step-up: the session had only a password; acr_values asks for more -> the second-factor
    # page, not the password form; the passkey answers it.
    await page.goto(step_up_url(stack))
    await expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    assert await page.get_by_label("Password").count() == 0
    await shot(page, "step-up-second-factor-page-inside-sso")
    posts = len(stack.requests("idp", "/oauth2/authorize", "POST"))
    await page.get_by_role("button", name="Use a passkey").click()
    await until(lambda: len(stack.requests("idp", "/oauth2/authorize", "POST")) > posts
                and stack.requests("idp", "/oauth2/authorize", "POST")[-1].status is not None, "the passkey's form post")
    answer = stack.requests("idp", "/oauth2/authorize", "POST")[-1]
    assert answer.status == 303 and "code=" in (answer.response_header("location") or "")
    [session] = await stack.registry.db.sso_sessions.live_for_user(stack.user_id)  # the old one ended
    assert session["amr"].split() == ["hwk", "mfa", "pwd", "user"]

    # Log in with the password and the authenticator app, in a browser with no passkey.
    other = await browser.new_context()
    page2 = await other.new_page()
    await store_login(page2, stack)
    await fill_hosted_login(page2)
    await expect(page2.get_by_label("Code from your authenticator app")).to_be_visible()
    await shot(page2, "second-factor-page-after-password")
    await page2.get_by_label("Code from your authenticator app").fill(await fresh_code(secret, used))
    await page2.get_by_role("button", name="Verify code").click()
    await expect(page2.locator("#items li").first).to_have_text(CART_FIRST)
    await other.close()

    # Log in with the password and the passkey as the second factor. The login page's
    # conditional UI would sign in with the passkey at once, so the authenticator waits for
    # "presence" (a touch) until the second-factor page, where the button asks for the key.
    await presence(cdp, authenticator, False)
    await context.clear_cookies()
    await store_login(page, stack)
    await fill_hosted_login(page)
    await expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    await presence(cdp, authenticator, True)
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
    live = (await stack.registry.db.sso_sessions.live_for_user(stack.user_id))[-1]  # the newest
    assert live["amr"].split() == ["hwk", "mfa", "pwd", "user"]

    # Passwordless through conditional UI: the login page's autofill request (autocomplete=
    # "username webauthn") is answered by the passkey alone (discoverable, user verified):
    # no password, no click on the IdP's page. (The "Sign in with a passkey" button runs the
    # same module code as "Use a passkey" above.)
    await context.clear_cookies()
    await page.goto(stack.cfg.store_url + "/")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
    await shot(page, "signed-in-with-passkey-alone")
    live = (await stack.registry.db.sso_sessions.live_for_user(stack.user_id))[-1]
    assert live["amr"].split() == ["hwk", "mfa", "user"]
    assert stack.requests("idp", "/oauth2/authorize", "POST")[-1].status == 303

    # Weakening the account takes a fresh factor, not the session: removing the passkey with an
    # empty code is refused; new recovery codes take an old one; the app and then the passkey
    # go with the passkey's own answer (the page's "confirm" challenge, user verified).
    db = stack.registry.db
    await page.goto(stack.cfg.idp_url + "/account/mfa")
    await page.get_by_role("button", name="Remove passkey Laptop with the code").click()
    await expect(page.locator("p.error", has_text="Nothing was removed")).to_be_visible()
    await shot(page, "account-removal-refused-without-a-fresh-factor")
    assert len(await db.webauthn_credentials.for_user(stack.user_id)) == 1
    await page.locator("#regenerate-code").fill(recovery[0])
    await page.get_by_role("button", name="Generate new recovery codes").click()
    await expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert recovery[1] not in await page.locator("#recovery-codes").inner_text()
    await page.goto(stack.cfg.idp_url + "/account/mfa")
    [method] = await db.mfa_methods.for_user(stack.user_id)
    removal = f"/account/mfa/totp/{method['id']}/remove"
    await page.locator(f'form[action="{removal}"]').get_by_role(
        "button", name="Confirm with a passkey").click()
    await expect(page.get_by_text("The authenticator app was removed.")).to_be_visible()
    await page.get_by_role("button", name="Remove passkey Laptop, confirming with a passkey").click()
    await expect(page.get_by_text("The passkey was removed.")).to_be_visible()
    await shot(page, "account-factors-removed-with-the-passkey")
    assert await db.mfa_methods.for_user(stack.user_id) == [] and await db.webauthn_credentials.for_user(stack.user_id) == []
    assert not errors, errors
    await context.close()


async def test_native_store_asks_for_the_code_after_242(browser: Any, backend: str, tmp_path: Path) -> None:
    shot = shots(backend)
    async with idp_database(backend) as overrides, \
            running_stack(tmp_path, "native-refresh-cookie", jwt_ttl=120, idp_overrides=overrides) as stack:
        secret = totp.new_secret()
        step = int(time.time()) // 30
        await factors.enable_totp(stack.registry, stack.user_id, secret, totp.code_at(secret, step))
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(stack.cfg.store_url + "/")
        await page.get_by_label("Email").fill("richard@example.com")
        await page.get_by_label("Password").fill("password")
        await page.locator("#login-form button[type=submit]").click()
        code_field = page.locator("#two-factor-form input[name=code]")
        await expect(code_field).to_be_visible()
        await code_field.fill("000000" if totp.code_at(secret, step + 1) != "000000" else "111111")
        await page.locator("#two-factor-form button[type=submit]").click()
        await expect(page.locator("#two-factor-error")).to_contain_text("Wrong code")
        # The app's next code: newer than the enrolment's, and inside the window already.
        await code_field.fill(totp.code_at(secret, step + 1))
        await shot(page, "native-store-code-field-after-242")
        await page.locator("#two-factor-form button[type=submit]").click()
        await expect(page.locator("#items li").first).to_have_text(CART_FIRST)
        await context.close()
