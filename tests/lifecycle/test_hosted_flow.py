"""The account lifecycle through the hosted pages over HTTP, on SQLite and PostgreSQL, with the
emails really sent over SMTP: sign up, verify, log in, forget, reset, change."""
from __future__ import annotations

from typing import Any

import pytest

from tests.lifecycle.helpers import CB, SECRET, STRONG, STRONGER, authorize, link, mail_to, relative, store_app, submit
from tests.oauth2.conftest import form_fields, redirect_params
from tests.factories import make_user


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return {**mail_settings, "password_reject_common": True}


async def _login(client, app_id: str, email: str, password: str):
    page = await client.get("/oauth2/authorize", params=authorize(app_id))
    fields = {**form_fields(page.text), "loginId": email, "password": password}
    return await client.post("/oauth2/authorize", data=fields)


async def _tokens(client, code: str) -> dict[str, Any]:
    r = await client.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
                          auth=(STORE_ID[0], SECRET))
    assert r.status_code == 200, r.text
    return r.json()


STORE_ID: list[str] = []


async def test_sign_up_verify_log_in_forget_and_reset(client, registry, catcher):
    app = await store_app(registry)
    STORE_ID[:] = [app["id"]]
    login_page = await client.get("/oauth2/authorize", params=authorize(app["id"]))
    assert "Create an account" in login_page.text and "Forgot password?" in login_page.text

    r = await submit(client, "/oauth2/register", {"email": "Ada@Example.com", "firstName": "Ada", "password": STRONG},
                     params=authorize(app["id"]))
    assert r.status_code == 200 and "Check your email" in r.text
    [mail] = await mail_to(registry, catcher, "Ada@Example.com")
    assert mail.subject == "Confirm your email address for Store"
    verify_url = link(mail, "/email/verify/")
    assert verify_url.startswith("http://idp.authgate.localhost:9011/email/verify/")

    # Gated: no code before the address is verified.
    gated = await _login(client, app["id"], "ada@example.com", STRONG)
    assert gated.status_code == 403 and "Verify your email first" in gated.text

    r = await submit(client, relative(verify_url), {})
    assert r.status_code == 200 and "Your email is verified" in r.text
    user = await registry.db.users.find_by_login_id("ada@example.com")
    assert user["doc"]["verified"] is True and user["doc"]["firstName"] == "Ada"
    registration = await registry.db.registrations.get(user["id"], app["id"])
    assert registration["doc"]["roles"] == ["customer"]

    first = await _tokens(client, redirect_params(await _login(client, app["id"], "ada@example.com", STRONG))["code"])
    assert "refresh_token" in first

    client.cookies.clear()  # another browser: forgot the password
    r = await submit(client, "/password/forgot", {"email": "ada@example.com"}, params=authorize(app["id"]))
    assert r.status_code == 200 and "If an account exists for ada@example.com" in r.text
    got = await mail_to(registry, catcher, "Ada@Example.com", 3)  # verify, gated re-send, reset
    [reset_mail] = [m for m in got if m.subject == "Reset your Store password"]
    reset_url = link(reset_mail, "/password/change/")
    page = await client.get(relative(reset_url))
    assert page.headers["referrer-policy"] == "no-referrer" and "Choose a new password" in page.text
    r = await submit(client, relative(reset_url), {"password": "password", "passwordConfirm": "password"})
    assert r.status_code == 400 and "most commonly used" in r.text  # the policy, beside the field
    r = await submit(client, relative(reset_url), {"password": STRONGER, "passwordConfirm": STRONGER})
    assert r.status_code == 200 and "Your password was changed" in r.text

    refused = await client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                                auth=(app["id"], SECRET))
    assert refused.status_code == 400  # the old refresh token died with the reset
    old = await _login(client, app["id"], "ada@example.com", STRONG)
    assert old.status_code == 200 and "Invalid login credentials" in old.text
    assert "code" in redirect_params(await _login(client, app["id"], "ada@example.com", STRONGER))
    again = await client.get(relative(reset_url))
    assert again.status_code == 404 and "cannot be used" in again.text  # single use


async def test_account_page_changes_the_password_and_ends_other_sessions(client, registry, catcher):
    app = await store_app(registry)
    STORE_ID[:] = [app["id"]]
    await make_user(registry, email="bob@example.com", password=STRONG, apps=[app])
    other = await _tokens(client, redirect_params(await _login(client, app["id"], "bob@example.com", STRONG))["code"])
    client.cookies.clear()
    mine = await _tokens(client, redirect_params(await _login(client, app["id"], "bob@example.com", STRONG))["code"])
    page = await client.get("/account")
    assert page.status_code == 200 and "bob@example.com" in page.text and "Email verified" in page.text
    r = await submit(client, "/account", {"currentPassword": "wrong one!", "password": STRONGER})
    assert r.status_code == 400 and 'id="currentPassword-error"' in r.text
    r = await submit(client, "/account", {"currentPassword": STRONG, "password": STRONGER})
    assert r.status_code == 200 and "Your password was changed" in r.text
    for tokens, alive in ((other, False), (mine, True)):
        r = await client.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              auth=(app["id"], SECRET))
        assert (r.status_code == 200) is alive
    assert (await client.get("/account")).status_code == 200  # this browser stays signed in
    [notice] = await mail_to(registry, catcher, "bob@example.com")
    assert notice.subject == "Your Store password was changed" or "password was changed" in notice.subject


async def test_account_page_without_a_session_asks_to_log_in(client):
    r = await client.get("/account")
    assert r.status_code == 401 and "You are not logged in" in r.text


async def test_an_sso_session_from_an_allow_app_does_not_open_a_gated_app(client, registry, catcher):
    allow = await store_app(registry, emailConfiguration={"unverified": {"behavior": "Allow"}})
    gated = await store_app(registry)
    await make_user(registry, email="una@example.com", password=STRONG, apps=[allow, gated], verified=False)
    assert "code" in redirect_params(await _login(client, allow["id"], "una@example.com", STRONG))
    r = await client.get("/oauth2/authorize", params=authorize(gated["id"]))  # the SSO session, no form
    assert r.status_code == 403 and "Verify your email first" in r.text and "location" not in r.headers
    [msg] = await mail_to(registry, catcher, "una@example.com")
    assert msg.subject.startswith("Confirm your email address")
