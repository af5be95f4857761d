"""FusionAuth's Login API answer for a user whose email is not verified: 212 with the user object
(`verified: false`). An application that lets unverified users in (`Allow`) gets its tokens too,
as FusionAuth's does; a `Gated` one gets none -- no token, no cookie -- and the user is sent a
fresh verification link, as on the hosted login (ui/gated.py). Verified users, and applications
that do not verify email, keep their 200."""
from __future__ import annotations

from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, link, mail_to, relative, store_app, submit


async def _login(client, app_id: str, email: str = "una@example.com"):  # type: ignore[no-untyped-def]
    return await client.post("/api/login", json={"loginId": email, "password": STRONG, "applicationId": app_id})


async def test_gated_application_gets_212_without_a_token_and_a_fresh_link(client, registry, catcher):
    gated = await store_app(registry)
    await make_user(registry, email="una@example.com", password=STRONG, apps=[gated], verified=False)
    r = await _login(client, gated["id"])
    assert r.status_code == 212
    body = r.json()
    assert set(body) == {"user"} and body["user"]["verified"] is False and body["user"]["email"] == "una@example.com"
    assert "set-cookie" not in r.headers  # no access_token / refresh_token cookie either
    [msg] = await mail_to(registry, catcher, "una@example.com")
    assert msg.subject.startswith("Confirm your email address")
    # Once the address is verified (through the emailed link), the same login gets its tokens.
    r = await submit(client, relative(link(msg, "/email/verify/")), {})
    assert r.status_code == 200 and "Your email is verified" in r.text
    r = await _login(client, gated["id"])
    assert r.status_code == 200 and r.json()["token"] and r.json()["refreshToken"]


async def test_allow_application_gets_212_with_its_tokens(client, registry, catcher):
    allow = await store_app(registry, emailConfiguration={"unverified": {"behavior": "Allow"}})
    await make_user(registry, email="una@example.com", password=STRONG, apps=[allow], verified=False)
    r = await _login(client, allow["id"])
    assert r.status_code == 212
    assert r.json()["user"]["verified"] is False and r.json()["token"] and r.json()["refreshToken"]
    assert "access_token=" in r.headers.get("set-cookie", "")
    await registry.mail.deliver_due()
    assert catcher.to("una@example.com") == []  # Allow sends nothing at login


async def test_verified_users_and_apps_without_verification_get_200(client, registry):
    off = await store_app(registry, emailConfiguration={"verifyEmail": False, "unverified": {"behavior": "Gated"}})
    gated = await store_app(registry)
    await make_user(registry, email="una@example.com", password=STRONG, apps=[off], verified=False)
    await make_user(registry, email="vera@example.com", password=STRONG, apps=[gated], verified=True)
    assert (await _login(client, off["id"])).status_code == 200
    r = await _login(client, gated["id"], "vera@example.com")
    assert r.status_code == 200 and r.json()["token"]


async def test_wrong_password_for_an_unverified_user_is_still_404(client, registry):
    gated = await store_app(registry)
    await make_user(registry, email="una@example.com", password=STRONG, apps=[gated], verified=False)
    r = await client.post("/api/login", json={"loginId": "una@example.com", "password": "not it at all",
                                              "applicationId": gated["id"]})
    assert r.status_code == 404  # 212 only after the password was right: it reveals nothing more than 200
