"""Sign-up with a username (FusionAuth's `registrationConfiguration.loginIdType: "username"`): the
form asks for a username instead of an email address; the account is ready at once (no address
to confirm, so a Gated application lets it in); a taken username -- as anyone's login id, email or
username, in any case or Unicode form -- is refused beside the field; roles and other fields a
crafted POST adds are still ignored."""
from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, authorize, store_app, submit
from tests.oauth2.conftest import form_fields, redirect_params


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return {**mail_settings, "password_reject_common": True}


async def _username_app(registry):  # type: ignore[no-untyped-def]
    return await store_app(registry, registrationConfiguration={"enabled": True, "type": "basic", "loginIdType": "username"})


async def test_sign_up_with_a_username_then_log_in(client, registry, catcher):
    app = await _username_app(registry)
    page = await client.get("/oauth2/register", params=authorize(app["id"]))
    assert 'name="username"' in page.text and 'name="email"' not in page.text
    r = await submit(client, "/oauth2/register", {"username": "Ada.L", "password": STRONG, "roles": "admin",
                                                  "verified": "false"}, params=authorize(app["id"]))
    assert r.status_code == 200 and "Your account is ready" in r.text
    user = await registry.db.users.find_by_login_id("ada.l")
    assert user is not None and user["doc"] == {"username": "Ada.L"}  # nothing else taken from the form
    assert (await registry.db.registrations.get(user["id"], app["id"]))["doc"]["roles"] == ["customer"]
    await registry.mail.deliver_due()
    assert catcher.inbox == []  # no address, no email
    login = await client.get("/oauth2/authorize", params=authorize(app["id"]))
    r = await client.post("/oauth2/authorize", data={**form_fields(login.text), "loginId": "ada.l", "password": STRONG})
    assert "code" in redirect_params(r)  # the Gated application lets it in: there is no address to verify


@pytest.mark.parametrize("taken", ["ada.l", "ＡＤＡ.Ｌ", "bob@example.com"])
async def test_a_taken_username_is_refused_beside_the_field(client, registry, taken):
    app = await _username_app(registry)
    await make_user(registry, email="bob@example.com", username="ada.l", password=STRONG)
    r = await submit(client, "/oauth2/register", {"username": taken, "password": STRONG}, params=authorize(app["id"]))
    assert r.status_code == 400 and "This username is taken" in r.text and 'id="username-error"' in r.text
    assert await registry.db.users.find_by_login_id(taken) is not None
    total, _ = await registry.db.users.search(None, None, 0, 10)
    assert total == 1  # nobody was added


async def test_a_blank_username_and_a_weak_password_are_both_shown(client, registry):
    app = await _username_app(registry)
    r = await submit(client, "/oauth2/register", {"username": " ", "password": "password"}, params=authorize(app["id"]))
    assert r.status_code == 400 and "Choose a username." in r.text and "most commonly used" in r.text

