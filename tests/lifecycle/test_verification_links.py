"""The emailed verification link under attack (issue 12's "verification tokens reused, expired,
for another user"): it works once, within `AUTHGATE_VERIFICATION_ID_TTL_SECONDS`, verifies only
the user and the address it was sent for, and a mail scanner fetching it (GET) spends nothing."""
from __future__ import annotations

from typing import Any

import pytest

from authgate.clock import clock
from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, link, mail_to, relative, store_app, submit


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return mail_settings


async def _verify_link(client, registry, catcher, email: str, count: int = 1) -> str:  # type: ignore[no-untyped-def]
    app = await store_app(registry)
    user = await registry.db.users.find_by_login_id(email)
    await registry.db.registrations.create(user["id"], app["id"], {"roles": []})
    assert (await client.post("/api/login", json={"loginId": email, "password": STRONG,
                                                  "applicationId": app["id"]})).status_code == 212  # Gated: sends a link
    got = await mail_to(registry, catcher, email, count, containing="/email/verify/")
    return relative(link(got[-1], "/email/verify/"))


async def _verified(registry, email: str) -> bool:  # type: ignore[no-untyped-def]
    return (await registry.db.users.find_by_login_id(email))["doc"].get("verified") is True


async def test_a_verification_link_works_once(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG, verified=False)
    url = await _verify_link(client, registry, catcher, "ada@example.com")
    for _ in range(3):  # a mail scanner opening the link spends nothing
        assert (await client.get(url)).status_code == 200
    assert not await _verified(registry, "ada@example.com")
    assert (await submit(client, url, {})).status_code == 200 and await _verified(registry, "ada@example.com")
    assert (await client.get(url)).status_code == 404  # spent


async def test_an_expired_verification_link_is_refused(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG, verified=False)
    url = await _verify_link(client, registry, catcher, "ada@example.com")
    page = await client.get(url)
    clock.advance(registry.settings.verification_id_ttl_seconds + 1)
    from tests.oauth2.conftest import form_fields

    r = await client.post(url, data=form_fields(page.text))
    assert r.status_code == 404 and "invalid, has expired or was already used" in r.text
    assert not await _verified(registry, "ada@example.com")


async def test_a_link_verifies_only_its_user_and_its_address(client, registry, catcher):
    ada = await make_user(registry, email="ada@example.com", password=STRONG, verified=False)
    await make_user(registry, email="bob@example.com", password=STRONG, verified=False)
    url = await _verify_link(client, registry, catcher, "ada@example.com")
    assert (await submit(client, url, {})).status_code == 200
    assert await _verified(registry, "ada@example.com") and not await _verified(registry, "bob@example.com")
    # A link sent to Ada's old address does not verify the new one she changed to.
    url2 = await _verify_link(client, registry, catcher, "bob@example.com")
    bob = await registry.db.users.find_by_login_id("bob@example.com")
    assert await registry.db.users.replace(bob["id"], {**bob["doc"], "email": "bob@new.example"}, None, bob["version"])
    assert (await submit(client, url2, {})).status_code == 404
    assert not await _verified(registry, "bob@new.example")
    assert (await registry.db.users.get(ada["id"]))["doc"]["verified"] is True
