"""Adding the first second factor on the security page (/account/mfa) takes a recent sign-in
(sessions/privileged.py), on both databases: there is no factor to confirm with, so a session
cookie copied into another client must not be enough once the sign-in is older than
`privileged_session_max_age_seconds`. The owner signs in again with the password on the page,
which starts a new session under a new cookie (the copy stays as old as it was)."""
from __future__ import annotations

import html
import json

import httpx
import pytest

from authgate.clock import clock
from authgate.sessions import privileged, sso
from authgate.web.app import create_app
from authgate.web.cookies import BROWSER, SSO
from tests.conftest import IDP
from tests.mfa.hosted import forms
from tests.mfa.softkey import SoftKey
from tests.mfa.test_account import PAGE, action_form, signed_in
from tests.oauth2.conftest import PASSWORD, World, world  # noqa: F401

RP_ID = "idp.authgate.localhost"
REAUTH = f"{PAGE}/reauthenticate"


def past_the_window(w: World) -> None:
    clock.advance(w.reg.settings.privileged_session_max_age_seconds + 1)


async def factors_of(w: World) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    uid = w.user["id"]
    return await w.reg.db.mfa_methods.for_user(uid), await w.reg.db.webauthn_credentials.for_user(uid)


def register_form(page: str) -> tuple[dict[str, object], dict[str, str]]:
    attrs, fields = next((a, dict(f)) for a, f in forms(page) if a.get("id") == "passkey-register")
    return json.loads(html.unescape(str(attrs["data-options"]))), fields


def thief(w: World, victim: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another client holding copies of the victim's session cookies (its own CSRF cookie, so it
    passes the CSRF check with its own token)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(w.reg.settings, w.reg)), base_url=IDP)
    for name in (SSO, BROWSER):
        client.cookies.set(name, str(victim.cookies.get(name)))
    return client


async def test_a_stolen_cookie_cannot_add_a_first_factor_after_the_window(client: httpx.AsyncClient,
                                                                         world: World) -> None:
    await signed_in(client, world)
    async with thief(world, client) as attacker:
        # Forms taken while the sign-in was recent: a registration challenge and the set-up form.
        early = (await attacker.get(PAGE)).text
        options, register = register_form(early)
        start = action_form(early, f"{PAGE}/totp/start")
        past_the_window(world)
        page = await attacker.get(PAGE)
        assert page.status_code == 200 and 'id="reauthenticate"' in page.text  # the page asks to sign in again
        assert 'id="passkey-register"' not in page.text and f'action="{PAGE}/totp/start"' not in page.text
        own = SoftKey(RP_ID, IDP).register(options)  # the thief's own passkey, for the early challenge
        r = await attacker.post(f"{PAGE}/passkeys", data={**register, "name": "mine", "webauthnResponse": json.dumps(own)})
        assert r.status_code == 403 and "Nothing was added" in r.text
        r = await attacker.post(f"{PAGE}/totp/start", data=start)
        assert r.status_code == 403 and "<svg" not in r.text and "totp-secret" not in r.text
        # Guessing the password on the page is a failed login like any other.
        fields = action_form((await attacker.get(PAGE)).text, REAUTH)
        r = await attacker.post(REAUTH, data={**fields, "password": "not-the-password"})
        assert r.status_code == 400 and "not correct" in r.text and SSO not in r.cookies
    assert await factors_of(world) == ([], [])


async def test_the_owner_signs_in_again_then_adds_one(client: httpx.AsyncClient, world: World) -> None:
    await signed_in(client, world)
    old_session = client.cookies.get(SSO)
    async with thief(world, client) as attacker:
        past_the_window(world)
        fields = action_form((await client.get(PAGE)).text, REAUTH)
        assert (await client.post(REAUTH, data={**fields, "password": ""})).status_code == 400
        again = await client.post(REAUTH, data={**fields, "password": PASSWORD})
        assert again.status_code == 303 and again.headers["location"] == f"{PAGE}?done=reauthenticated"
        assert client.cookies.get(SSO) != old_session  # a new session under a new cookie
        page = (await client.get(again.headers["location"])).text
        assert "You signed in again" in page and 'id="reauthenticate"' not in page
        # The owner adds a passkey; the thief's copy of the old cookie is signed out, not refreshed.
        options, register = register_form(page)
        added = await client.post(f"{PAGE}/passkeys", data={**register, "name": "Laptop",
                                                            "webauthnResponse": json.dumps(SoftKey(RP_ID, IDP).register(options))})
        assert added.status_code == 303
        assert (await attacker.get(PAGE)).status_code == 401
    assert len(await world.reg.db.sso_sessions.live_for_user(world.user["id"])) == 1
    session = await sso.find(world.reg, client.cookies.get(SSO), client.cookies.get(BROWSER))
    assert session is not None and session.amr == ("pwd",)
    assert len((await factors_of(world))[1]) == 1


async def test_inside_the_window_the_session_is_enough(client: httpx.AsyncClient, world: World) -> None:
    await signed_in(client, world)
    clock.advance(world.reg.settings.privileged_session_max_age_seconds - 5)
    page = (await client.get(PAGE)).text
    assert 'id="reauthenticate"' not in page
    start = await client.post(f"{PAGE}/totp/start", data=action_form(page, f"{PAGE}/totp/start"))
    assert start.status_code == 200 and "<svg" in start.text


async def test_wrong_passwords_lock_the_page_as_they_lock_the_login(client: httpx.AsyncClient, world: World) -> None:
    await signed_in(client, world)
    past_the_window(world)
    fields = action_form((await client.get(PAGE)).text, REAUTH)
    for _ in range(world.reg.settings.failed_login_threshold):
        r = await client.post(REAUTH, data={**fields, "password": "wrong-password"})
        assert r.status_code == 400 and "not correct" in r.text
    r = await client.post(REAUTH, data={**fields, "password": PASSWORD})  # right, but locked now
    assert r.status_code == 400 and "locked" in r.text
    assert 'id="reauthenticate"' in (await client.get(PAGE)).text and await factors_of(world) == ([], [])


async def test_an_account_without_a_password_is_told_how_to_get_one(client: httpx.AsyncClient, world: World) -> None:
    await signed_in(client, world)
    await world.reg.db.users.set_password_hash(world.user["id"], None)  # type: ignore[arg-type]
    past_the_window(world)
    page = (await client.get(PAGE)).text
    assert "no password to sign in again with" in page and f'action="{REAUTH}"' not in page
    assert 'id="passkey-register"' not in page
    session = await sso.find(world.reg, client.cookies.get(SSO), client.cookies.get(BROWSER))
    assert session is not None
    with pytest.raises(privileged.NoPassword):
        await privileged.reauthenticate(world.reg, session, PASSWORD)
    assert (await client.get(PAGE)).status_code == 200  # the session stays


@pytest.mark.parametrize("past_the_end, recent", [(-600, True), (-10, True), (1, False)])
async def test_recent_is_the_setting_s_window(world: World, past_the_end: int, recent: bool) -> None:
    """10 minutes by default (Kratos's 15, Keycloak's 5), measured from the sign-in itself."""
    assert world.reg.settings.privileged_session_max_age_seconds == 600
    session, _ = await sso.start(world.reg, world.user)
    clock.advance(600 + past_the_end)
    assert privileged.recent(world.reg, session) is recent
