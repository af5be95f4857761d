"""The hosted login with a second factor, over HTTP on both databases: the second-factor page
after the password (TOTP, recovery code, passkey), passwordless passkey sign-in, amr/acr in the
tokens, the application's loginPolicy, step-up inside an SSO session (acr_values, max_age), and
bad submissions that get a clear error and change nothing."""
from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from authgate.mfa import factors, passkeys, totp
from authgate.web.cookies import SSO
from tests.conftest import API_KEY, IDP
from tests.mfa.conftest import code_now, next_step
from tests.mfa.hosted import form_with, passkey_form
from tests.mfa.softkey import SoftKey
from tests.oauth2.conftest import (  # noqa: F401 - the world fixture
    STORE_CB, World, authorize_params, login, pkce_pair, redeem, redirect_params, world,
)

RP_ID = "idp.authgate.localhost"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def with_totp(w: World) -> tuple[bytes, list[str]]:
    secret = totp.new_secret()
    _, codes = await factors.enable_totp(w.reg, w.user["id"], secret, code_now(secret))
    next_step()
    assert codes
    return secret, codes


async def tokens(client: httpx.AsyncClient, w: World, response: httpx.Response) -> dict[str, Any]:
    r = await redeem(client, w, redirect_params(response)["code"])
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_password_then_totp_page_then_tokens_with_amr(client: httpx.AsyncClient, world: World) -> None:
    secret, _ = await with_totp(world)
    page = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text
    assert client.cookies.get(SSO) is None  # no session before the second factor
    fields = form_with(page.text, "code")
    wrong = await client.post("/oauth2/authorize", data={**fields, "code": "12345"})
    assert wrong.status_code == 400 and "That code is not valid" in wrong.text
    done = await client.post("/oauth2/authorize", data={**fields, "code": code_now(secret)})
    assert done.status_code == 303
    body = await tokens(client, world, done)
    assert claims(body["id_token"])["amr"] == ["mfa", "otp", "pwd"]
    assert claims(body["access_token"])["acr"] == "urn:authgate:acr:mfa"
    again = await client.post("/oauth2/authorize", data={**fields, "code": code_now(secret)})
    assert again.status_code == 400 and "took too long or was already completed" in again.text  # spent


async def test_recovery_code_on_the_second_factor_page(client: httpx.AsyncClient, world: World) -> None:
    _, codes = await with_totp(world)
    page = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert "Use a recovery code" in page.text
    done = await client.post("/oauth2/authorize", data={**form_with(page.text, "code"), "code": codes[0]})
    assert done.status_code == 303
    assert await world.reg.db.recovery_codes.remaining(world.user["id"]) == 9


async def enrol_passkey(w: World) -> SoftKey:
    key = SoftKey(RP_ID, IDP)
    options = await passkeys.registration_options(w.reg, w.user, "Laptop")
    await passkeys.register(w.reg, w.user["id"], key.register(options))
    return key


async def test_passwordless_passkey_sign_in(client: httpx.AsyncClient, world: World) -> None:
    key = await enrol_passkey(world)
    page = await client.get("/oauth2/authorize", params=authorize_params(world.store["id"], STORE_CB))
    assert 'autocomplete="username webauthn"' in page.text and "Sign in with a passkey" in page.text
    options, fields = passkey_form(page.text)
    assert options["userVerification"] == "required" and options["allowCredentials"] == []
    done = await client.post("/oauth2/authorize", data={**fields, "webauthnResponse": json.dumps(key.assert_(options))})
    assert done.status_code == 303
    assert claims((await tokens(client, world, done))["id_token"])["amr"] == ["hwk", "mfa", "user"]


async def test_passkey_as_second_factor_and_refused_ones(client: httpx.AsyncClient, world: World) -> None:
    key = await enrol_passkey(world)
    page = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert "Use a passkey" in page.text and 'name="code"' not in page.text  # no TOTP, no recovery codes
    options, fields = passkey_form(page.text)
    evil = await client.post("/oauth2/authorize", data={**fields, "webauthnResponse": json.dumps(
        key.assert_(options, origin="http://evil.authgate.localhost:9011"))})
    assert evil.status_code == 400 and "could not be used" in evil.text
    options, fields = passkey_form(evil.text)
    junk = await client.post("/oauth2/authorize", data={**fields, "webauthnResponse": "{not json"})
    assert junk.status_code == 400
    options, fields = passkey_form(junk.text)
    done = await client.post("/oauth2/authorize", data={**fields, "webauthnResponse": json.dumps(key.assert_(options))})
    assert done.status_code == 303
    assert claims((await tokens(client, world, done))["id_token"])["amr"] == ["hwk", "mfa", "pwd", "user"]


async def test_step_up_inside_an_sso_session(client: httpx.AsyncClient, world: World) -> None:
    discovery = (await client.get("/.well-known/openid-configuration")).json()
    assert "urn:authgate:acr:mfa" in discovery["acr_values_supported"] and "amr" in discovery["claims_supported"]
    first = await login(client, authorize_params(world.store["id"], STORE_CB))
    assert first.status_code == 303  # no factor yet: password only
    assert claims((await tokens(client, world, first))["id_token"])["amr"] == ["pwd"]
    mfa = authorize_params(world.store["id"], STORE_CB, acr_values="urn:authgate:acr:mfa")
    none_yet = await client.get("/oauth2/authorize", params=mfa)
    assert none_yet.status_code == 403 and "/account/mfa" in none_yet.text  # asked for, but nothing to ask
    secret, _ = await with_totp(world)
    silent = await client.get("/oauth2/authorize", params={**mfa, "prompt": "none"})
    assert redirect_params(silent)["error"] == "interaction_required"
    page = await client.get("/oauth2/authorize", params=mfa)
    assert page.status_code == 200 and 'name="password"' not in page.text and 'name="code"' in page.text
    done = await client.post("/oauth2/authorize", data={**form_with(page.text, "code"), "code": code_now(secret)})
    assert done.status_code == 303
    assert claims((await tokens(client, world, done))["id_token"])["acr"] == "urn:authgate:acr:mfa"
    sso_again = await client.get("/oauth2/authorize", params=mfa)
    assert sso_again.status_code == 302  # the session now has the second factor
    fresh = await client.get("/oauth2/authorize", params={**mfa, "max_age": "0"})
    assert fresh.status_code == 200 and 'name="password"' in fresh.text  # max_age: the whole login again


async def set_policy(client: httpx.AsyncClient, w: World, policy: str) -> None:
    r = await client.patch(f"/api/application/{w.store['id']}", headers={"Authorization": API_KEY},
                           json={"application": {"multiFactorConfiguration": {"loginPolicy": policy}}})
    assert r.status_code == 200, r.text
    w.reg.apps.invalidate()


async def test_login_policy_required_and_disabled(client: httpx.AsyncClient, world: World) -> None:
    await set_policy(client, world, "Required")  # the admin API's update also makes PKCE required
    params = authorize_params(world.store["id"], STORE_CB, code_challenge=pkce_pair()[1], code_challenge_method="S256")
    refused = await login(client, params)
    assert refused.status_code == 403 and "requires a second factor" in refused.text
    await with_totp(world)
    await set_policy(client, world, "Disabled")
    assert (await login(client, params)).status_code == 303


async def test_second_factor_posts_without_a_first_factor_are_refused(client: httpx.AsyncClient, world: World) -> None:
    secret, _ = await with_totp(world)
    page = await login(client, authorize_params(world.store["id"], STORE_CB))
    fields = form_with(page.text, "code")
    oversized = await client.post("/oauth2/authorize", data={**fields, "twoFactorId": "x" * 3000, "code": code_now(secret)})
    assert redirect_params(oversized)["error"] == "invalid_request" and client.cookies.get(SSO) is None
    for forged in ({**fields, "twoFactorId": "made-up"},
                   {**fields, "client_id": world.forums["id"], "redirect_uri": "http://forums.authgate.localhost:8082/oauth-redirect",
                    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM", "code_challenge_method": "S256"}):
        r = await client.post("/oauth2/authorize", data={**forged, "code": code_now(secret)})
        assert r.status_code == 400 and client.cookies.get(SSO) is None, r.text[:300]
    no_csrf = await client.post("/oauth2/authorize", data={**fields, "csrf_token": "y" * 43, "code": code_now(secret)})
    assert no_csrf.status_code == 403
    assert (await client.post("/oauth2/authorize", data={**fields, "code": code_now(secret)})).status_code == 303


async def test_a_passkey_answer_without_a_first_factor_is_refused(client: httpx.AsyncClient, world: World) -> None:
    """The second-factor page's passkey form posted with a made-up or another application's
    twoFactorId: no session, and the passkey's counter does not move."""
    key = await enrol_passkey(world)
    page = await login(client, authorize_params(world.store["id"], STORE_CB))
    options, fields = passkey_form(page.text)
    answer = json.dumps(key.assert_(options))
    for forged in ({**fields, "twoFactorId": "made-up"}, {**fields, "twoFactorId": ""},
                   {**fields, "client_id": world.forums["id"], "redirect_uri": "http://forums.authgate.localhost:8082/oauth-redirect",
                    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM", "code_challenge_method": "S256"}):
        r = await client.post("/oauth2/authorize", data={**forged, "webauthnResponse": answer})
        assert r.status_code == 400 and client.cookies.get(SSO) is None, r.text[:300]
    [row] = await world.reg.db.webauthn_credentials.for_user(world.user["id"])
    assert row["sign_count"] == 0
