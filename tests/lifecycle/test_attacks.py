"""Attacks and bad input on the account-lifecycle pages and APIs (issue 12): reset-link poisoning,
reused / expired / guessed / cross-user tokens, Referer leaks, CSRF on every form, sign-ups that
try to set what they may not, duplicate addresses in another case or Unicode form."""
from __future__ import annotations

import secrets
from typing import Any

import pytest

from authgate.clock import clock
from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, STRONGER, authorize, link, mail_to, relative, store_app, submit
from tests.oauth2.conftest import form_fields


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return {**mail_settings, "password_reject_common": True}


async def _reset_link(client, registry, catcher, email: str, count: int = 1) -> str:
    r = await submit(client, "/password/forgot", {"email": email})
    assert r.status_code == 200
    got = await mail_to(registry, catcher, email, count, containing="/password/change/")
    return relative(link(got[-1], "/password/change/"))


@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"},
                                     {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}])
async def test_reset_links_are_built_from_the_issuer_never_from_host(client, registry, catcher, admin, headers):
    await make_user(registry, email="ada@example.com", password=STRONG)
    page = await client.get("/password/forgot")
    fields = {**form_fields(page.text), "email": "ada@example.com"}
    r = await client.post("/password/forgot", data=fields, headers=headers)
    assert r.status_code == 200
    api = await client.post("/api/user/forgot-password", json={"loginId": "ada@example.com"}, headers={**admin, **headers})
    assert api.status_code == 200
    got = await mail_to(registry, catcher, "ada@example.com", 2, containing="/password/change/")
    for msg in got:
        assert "evil.example" not in msg.text and (msg.html is None or "evil.example" not in msg.html)
        assert link(msg, "/password/change/").startswith("http://idp.authgate.localhost:9011/password/change/")


async def test_a_reset_link_works_once_and_for_ten_minutes(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    url = await _reset_link(client, registry, catcher, "ada@example.com")
    assert (await submit(client, url, {"password": STRONGER, "passwordConfirm": STRONGER})).status_code == 200
    reused = await client.get(url)
    assert reused.status_code == 404
    url2 = await _reset_link(client, registry, catcher, "ada@example.com", 2)
    page = await client.get(url2)
    clock.advance(601)  # 10 minutes and a second
    r = await client.post(url2, data={**form_fields(page.text), "password": "another fine one", "passwordConfirm": "another fine one"})
    assert r.status_code == 404
    assert (await client.post("/api/login", json={"loginId": "ada@example.com", "password": STRONGER})).status_code == 200


async def test_a_new_reset_voids_the_older_links_and_ids_are_per_user(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    await make_user(registry, email="bob@example.com", password=STRONG)
    ada1 = await _reset_link(client, registry, catcher, "ada@example.com")
    ada2 = await _reset_link(client, registry, catcher, "ada@example.com", 2)
    bob = await _reset_link(client, registry, catcher, "bob@example.com")
    assert (await submit(client, ada2, {"password": STRONGER, "passwordConfirm": STRONGER})).status_code == 200
    assert (await client.get(ada1)).status_code == 404  # voided by the reset
    # Ada's link changed Ada's password only; Bob's link is still his, and still works.
    assert (await client.post("/api/login", json={"loginId": "bob@example.com", "password": STRONG})).status_code == 200
    assert (await submit(client, bob, {"password": "bobs new secret 9", "passwordConfirm": "bobs new secret 9"})).status_code == 200
    assert (await client.post("/api/login", json={"loginId": "ada@example.com", "password": STRONGER})).status_code == 200


async def test_guessed_ids_are_refused_everywhere(client, registry):
    await make_user(registry, email="ada@example.com", password=STRONG)
    for guess in (secrets.token_urlsafe(32), "x", "../../etc/passwd", "%00", "a" * 500):
        assert (await client.get(f"/password/change/{guess}")).status_code in (404,)
        assert (await client.get(f"/email/verify/{guess}")).status_code == 404
        assert (await client.get(f"/api/user/change-password/{guess}")).status_code == 404
        r = await client.post(f"/api/user/change-password/{guess}", json={"password": STRONGER})
        assert r.status_code == 404
        assert (await client.post("/api/user/verify-email", json={"verificationId": guess})).status_code == 404
    assert (await client.post("/api/login", json={"loginId": "ada@example.com", "password": STRONG})).status_code == 200


async def test_reset_page_cannot_leak_its_id_through_referer(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    url = await _reset_link(client, registry, catcher, "ada@example.com")
    page = await client.get(url)
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="referrer" content="no-referrer">' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp  # loads nothing, posts only to us
    assert "http" not in page.text.split("<main>")[1].replace(url, "")  # no third-party link on the page


async def _csrf_targets(client, registry, catcher) -> dict[str, str]:
    app = await store_app(registry)
    user = await make_user(registry, email="ada@example.com", password=STRONG, apps=[app], verified=False)
    from authgate.lifecycle import verify_email

    verification = await verify_email.start(registry, user, app["id"], send_email=False)
    reset = await _reset_link(client, registry, catcher, "ada@example.com")
    login = await client.get("/oauth2/authorize", params=authorize(app["id"]))
    fields = {**form_fields(login.text), "loginId": "ada@example.com", "password": STRONG}
    await client.post("/oauth2/authorize", data=fields)  # gated, but /account needs a session: use Allow below
    return {"/oauth2/register": f"/oauth2/register?client_id={app['id']}", "/password/forgot": "/password/forgot",
            reset: reset, f"/email/verify/{verification}": f"/email/verify/{verification}"}


@pytest.mark.parametrize("attack", ["no cookie", "cross-site origin", "sibling subdomain"])
async def test_every_lifecycle_form_needs_its_csrf_token(client, registry, catcher, attack):
    targets = await _csrf_targets(client, registry, catcher)
    before = await registry.db.users.find_by_login_id("ada@example.com")
    for action, page_url in targets.items():
        page = await client.get(page_url)
        assert page.status_code == 200, page_url
        fields = {**form_fields(page.text), "email": "new@example.com", "firstName": "N", "password": STRONGER,
                  "passwordConfirm": STRONGER}
        headers = {"no cookie": {}, "cross-site origin": {"Origin": "https://evil.example"},
                   "sibling subdomain": {"Sec-Fetch-Site": "same-site"}}[attack]
        if attack == "no cookie":
            client.cookies.delete("authgate.csrf")
            client.cookies.clear()
        r = await client.post(action, data=fields, headers=headers)
        assert r.status_code == 403, (action, r.status_code, r.text[:300])
    after = await registry.db.users.find_by_login_id("ada@example.com")
    assert after["password_hash"] == before["password_hash"] and after["doc"].get("verified") is False
    assert await registry.db.users.find_by_login_id("new@example.com") is None


async def test_account_password_form_needs_its_csrf_token(client, registry):
    app = await store_app(registry, emailConfiguration={})
    await make_user(registry, email="ada@example.com", password=STRONG, apps=[app])
    login = await client.get("/oauth2/authorize", params=authorize(app["id"]))
    await client.post("/oauth2/authorize", data={**form_fields(login.text), "loginId": "ada@example.com", "password": STRONG})
    page = await client.get("/account")
    fields = {**form_fields(page.text), "currentPassword": STRONG, "password": STRONGER}
    assert (await client.post("/account/password", data={**fields, "csrf_token": "x" * 43})).status_code == 403
    assert (await client.post("/account/password", data=fields, headers={"Origin": "https://evil.example"})).status_code == 403
    assert (await client.post("/api/login", json={"loginId": "ada@example.com", "password": STRONG})).status_code == 200


async def test_sign_up_cannot_set_roles_verification_ids_or_tenant(client, registry, catcher):
    app = await store_app(registry)
    victim = await make_user(registry, email="victim@example.com", password=STRONG)
    r = await submit(client, "/oauth2/register", {
        "email": "mallory@example.com", "firstName": "M", "password": STRONG, "roles": "admin", "verified": "true",
        "id": victim["id"], "userId": victim["id"], "tenantId": "00000000-0000-0000-0000-000000000001",
        "registration.roles": "admin", "data": "{}", "active": "false"}, params=authorize(app["id"]))
    assert r.status_code == 200
    user = await registry.db.users.find_by_login_id("mallory@example.com")
    assert user["id"] != victim["id"] and user["doc"]["verified"] is False and user["active"] is True
    assert set(user["doc"]) == {"email", "firstName", "verified"}
    assert (await registry.db.registrations.get(user["id"], app["id"]))["doc"]["roles"] == ["customer"]
    assert (await registry.db.users.get(victim["id"]))["doc"]["email"] == "victim@example.com"


@pytest.mark.parametrize("spelling", ["RICHARD@EXAMPLE.COM", "ｒｉｃｈａｒｄ@example.com", " Richard@Example.com "])
async def test_the_same_address_in_another_case_or_unicode_form_is_not_a_new_account(client, registry, catcher, spelling):
    app = await store_app(registry)
    await make_user(registry, email="richard@example.com", password=STRONG)
    r = await submit(client, "/oauth2/register", {"email": spelling, "firstName": "R", "password": STRONGER},
                     params=authorize(app["id"]))
    assert r.status_code == 200 and "Check your email" in r.text
    [msg] = await mail_to(registry, catcher, "richard@example.com")
    assert msg.subject == "You already have a Store account"
    total, _ = await registry.db.users.search(None, None, 0, 10)
    assert total == 1
    assert (await client.post("/api/login", json={"loginId": "richard@example.com", "password": STRONG})).status_code == 200


async def test_sign_up_disabled_or_bad_input_is_refused_beside_the_field(client, registry):
    closed = await store_app(registry, registrationConfiguration={"enabled": False})
    assert (await client.get("/oauth2/register", params=authorize(closed["id"]))).status_code == 404
    login = await client.get("/oauth2/authorize", params=authorize(closed["id"]))
    assert "Create an account" not in login.text
    app = await store_app(registry)
    r = await submit(client, "/oauth2/register", {"email": "not-an-email", "firstName": "", "password": "12345678"},
                     params=authorize(app["id"]))
    assert r.status_code == 400
    for field in ("email", "firstName", "password"):
        assert f'id="{field}-error"' in r.text and f'aria-describedby="{field}-error"' in r.text
    total, _ = await registry.db.users.search(None, None, 0, 10)
    assert total == 0
