"""Issue 12's done criterion in Chromium: a new customer signs up on the Store's hosted page,
receives the verification email on a real SMTP server (the demo's mail catcher, aiosmtpd),
clicks its link in the inbox page, logs in, forgets the password, resets it from the second
email, sees the old password and the old refresh token refused, and logs in with the new one.
On SQLite and on PostgreSQL (the IdP on a fresh schema). Screenshots: test-artifacts/account-lifecycle/.
"""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.conftest import idp_database as shared_idp_database

from .harness import EXPECT_TIMEOUT, STORE_ID, Shots, running_stack, until, wait_past, claims, jar

pytestmark = pytest.mark.e2e
expect.set_options(timeout=EXPECT_TIMEOUT)
STORE = "store.authgate.localhost"
EMAIL, FIRST, OLD, NEW = "grace@example.com", "Grace", "tangerine orbit 42", "velvet harbour 77"


async def _mail(stack: Any, subject_start: str) -> Any:
    """The newest message to EMAIL whose subject starts so, once the IdP's sender delivered it."""
    def wait() -> Any:
        for _ in range(100):
            found = [m for m in stack.mail.to(EMAIL) if m.subject.startswith(subject_start)]
            if found:
                return found[-1]
            stack.mail.wait_for(len(stack.mail.inbox) + 1, 0.2)
        raise AssertionError(f"no email {subject_start!r}: {[m.subject for m in stack.mail.inbox]}")
    return await asyncio.to_thread(wait)


async def _open_from_inbox(page: Any, stack: Any, url: str) -> None:
    """Click the message's link in the demo inbox page, as a person reading their mail would."""
    await page.goto(stack.cfg.mail_url + "/")
    await page.get_by_role("link", name=url).first.click()


@pytest.fixture
async def idp_database(backend: str) -> Any:
    async with shared_idp_database(backend) as overrides:
        yield overrides


async def test_sign_up_verify_forget_reset_in_chromium(browser, tmp_path, backend, idp_database):  # type: ignore[no-untyped-def]
    shot = Shots("account-lifecycle" if backend == "sqlite" else f"account-lifecycle-{backend}")
    async with running_stack(tmp_path, "code-pkce-cookie", idp_overrides=idp_database) as stack:
        cfg = stack.cfg
        context = await browser.new_context()
        page = await context.new_page()

        # 1. Sign up from the Store's hosted login page.
        await page.goto(cfg.store_url + "/")
        await page.get_by_role("button", name="Log in").click()
        await expect(page.get_by_role("link", name="Create an account")).to_be_visible()
        await shot(page, "hosted-login-with-sign-up-link")
        await page.get_by_role("link", name="Create an account").click()
        await expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("First name").fill(FIRST)
        await page.get_by_label("Password", exact=True).fill("short")
        await page.get_by_role("button", name="Create account").click()
        await expect(page.locator("#password-error")).to_contain_text("at least 8 characters")  # beside the field
        await expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
        await shot(page, "sign-up-password-refused-beside-the-field")
        await page.get_by_label("Password", exact=True).fill(OLD)
        await page.get_by_role("button", name="Create account").click()
        await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        await shot(page, "sign-up-check-your-email")

        # 2. The verification email, on the real SMTP server; its link is the issuer's.
        verify = await _mail(stack, "Confirm your email address")
        [verify_url] = [u for u in verify.links if "/email/verify/" in u]
        assert verify_url.startswith(cfg.idp_url + "/email/verify/") and f"client_id={STORE_ID}" in verify_url
        await _open_from_inbox(page, stack, verify_url)
        await expect(page.get_by_role("button", name="Verify my email")).to_be_visible()
        await shot(page, "verify-email-page")
        await page.get_by_role("button", name="Verify my email").click()
        await expect(page.get_by_role("heading", name="Your email is verified")).to_be_visible()
        await shot(page, "email-verified")
        await page.get_by_role("link", name="Continue to Store").click()

        # 3. Log in with the new account: the cart loads.
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_label("Email or username").fill(EMAIL)
        await page.get_by_label("Password").fill(OLD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page.locator("#items li").first).to_be_visible()
        await shot(page, "store-logged-in-as-new-user")
        jwt = (await jar(context))[(STORE, "app_jwt")]["value"]
        assert claims(jwt)["email"] == EMAIL

        # 4. On another device: "Forgot password?" -> the second email -> a new password.
        other = await browser.new_context()
        device = await other.new_page()
        await device.goto(cfg.store_url + "/")
        await device.get_by_role("button", name="Log in").click()
        await device.get_by_role("link", name="Forgot password?").click()
        await device.get_by_label("Email").fill(EMAIL)
        await device.get_by_role("button", name="Send me a link").click()
        await expect(device.get_by_role("heading", name="Check your email")).to_be_visible()
        await shot(device, "forgot-password-check-your-email")
        reset = await _mail(stack, "Reset your")
        [reset_url] = [u for u in reset.links if "/password/change/" in u]
        assert reset_url.startswith(cfg.idp_url + "/password/change/")
        await _open_from_inbox(device, stack, reset_url)
        await expect(device.get_by_role("heading", name="Choose a new password")).to_be_visible()
        reset_page = [s for s in stack.requests("idp") if s.path.startswith("/password/change/") and s.method == "GET"][-1]
        assert reset_page.response_header("referrer-policy") == "no-referrer"
        await shot(device, "choose-a-new-password")
        await device.get_by_label("New password", exact=True).fill(NEW)
        await device.get_by_label("Confirm new password").fill(NEW)
        await device.get_by_role("button", name="Change password").click()
        await expect(device.get_by_role("heading", name="Your password was changed")).to_be_visible()
        await shot(device, "password-changed")

        # 5. The first browser's refresh token died with the reset: its next refresh is refused.
        await wait_past(claims(jwt)["exp"])
        await page.get_by_role("button", name="Reload").click()
        await until(lambda: any(s.status == 400 for s in stack.requests("idp", "/oauth2/token", "POST")[-1:]),
                    "the IdP refuses the old refresh token")
        await expect(page.get_by_role("button", name="Log in")).to_be_visible()
        await shot(page, "old-refresh-token-refused")

        # 6. The old password is refused; the new one logs in.
        await device.goto(cfg.store_url + "/")
        await device.get_by_role("button", name="Log in").click()
        await device.get_by_label("Email or username").fill(EMAIL)
        await device.get_by_label("Password").fill(OLD)
        await device.get_by_role("button", name="Log in").click()
        await expect(device.get_by_role("alert")).to_contain_text("Invalid login credentials")
        await shot(device, "old-password-refused")
        await device.get_by_label("Password").fill(NEW)
        await device.get_by_role("button", name="Log in").click()
        await expect(device.locator("#items li").first).to_be_visible()
        await shot(device, "logged-in-with-new-password")
        await other.close()
        await context.close()
