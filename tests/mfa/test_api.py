"""FusionAuth's two-factor and WebAuthn APIs over HTTP, on both databases: 242 from /api/login,
/api/two-factor/login with TOTP and recovery codes, passkeys through /api/webauthn/*, the
application's loginPolicy, and the bad input each gets a clear error for without a change."""
from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from authgate.clock import clock
from authgate.mfa import totp
from authgate.registry import Registry
from tests.conftest import IDP
from tests.factories import make_application, make_user
from tests.mfa.conftest import code_now, next_step
from tests.mfa.softkey import SoftKey

PASSWORD = "correct horse battery staple"
RP_ID = "idp.authgate.localhost"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def setup(reg: Registry, **app_doc: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    app = await make_application(reg, "Store", loginConfiguration={"generateRefreshTokens": True,
                                                                   "requireAuthentication": False}, **app_doc)
    other = await make_application(reg, "Forums", loginConfiguration={"requireAuthentication": False})
    user = await make_user(reg, password=PASSWORD, apps=[app, other])
    return app, other, user


async def enrol(client: httpx.AsyncClient, admin: dict[str, str], user_id: str) -> tuple[bytes, list[str]]:
    got = (await client.get("/api/two-factor/secret", headers=admin)).json()
    secret = base64.b64decode(got["secret"])
    assert totp.base32(secret) == got["secretBase32Encoded"]
    r = await client.post(f"/api/user/two-factor/{user_id}", headers=admin,
                          json={"method": "authenticator", "code": code_now(secret), "secret": got["secret"]})
    assert r.status_code == 200, r.text
    return secret, r.json()["recoveryCodes"]


async def password_login(client: httpx.AsyncClient, app: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/login", json={"loginId": "richard@example.com", "password": PASSWORD,
                                                 "applicationId": app["id"]})


async def test_totp_login_answers_242_then_200_with_amr(client: httpx.AsyncClient, registry: Registry,
                                                       admin: dict[str, str]) -> None:
    app, _, user = await setup(registry)
    assert claims((await password_login(client, app)).json()["token"])["amr"] == ["pwd"]
    secret, codes = await enrol(client, admin, user["id"])
    assert len(codes) == 10
    r = await password_login(client, app)
    assert r.status_code == 242 and "token" not in r.json() and "access_token" not in r.cookies
    body = r.json()
    assert [m["method"] for m in body["methods"]] == ["authenticator"] and "secret" not in json.dumps(body)
    next_step()
    done = await client.post("/api/two-factor/login", json={"twoFactorId": body["twoFactorId"], "code": code_now(secret),
                                                            "applicationId": app["id"]})
    assert done.status_code == 200, done.text
    token = claims(done.json()["token"])
    assert token["amr"] == ["mfa", "otp", "pwd"] and token["acr"] == "urn:authgate:acr:mfa"
    refreshed = await client.post("/api/jwt/refresh", json={"refreshToken": done.json()["refreshToken"]})
    assert claims(refreshed.json()["token"])["amr"] == ["mfa", "otp", "pwd"]  # the family keeps its login's factors
    again = await client.post("/api/two-factor/login", json={"twoFactorId": body["twoFactorId"],
                                                             "code": code_now(secret), "applicationId": app["id"]})
    assert again.status_code == 404  # a twoFactorId is spent by its login


async def test_bad_codes_and_twofactorids(client: httpx.AsyncClient, registry: Registry, admin: dict[str, str]) -> None:
    app, other, user = await setup(registry)
    secret, codes = await enrol(client, admin, user["id"])
    two_factor_id = (await password_login(client, app)).json()["twoFactorId"]
    spent = code_now(secret)  # used by the enrolment's confirmation
    for code in ("12345", "1234567", "12a456", spent, "AAAAA-AAAAA"):
        r = await client.post("/api/two-factor/login", json={"twoFactorId": two_factor_id, "code": code,
                                                             "applicationId": app["id"]})
        assert r.status_code == 421, (code, r.text)
    for tfid, app_id in ((two_factor_id, other["id"]), (two_factor_id, None), ("nope", app["id"]), (["x"], app["id"])):
        r = await client.post("/api/two-factor/login", json={"twoFactorId": tfid, "code": codes[0], "applicationId": app_id})
        assert r.status_code == 404, r.text
    assert await registry.db.recovery_codes.remaining(user["id"]) == 10  # nothing was spent
    await registry.db.login_failures.reset(user["id"])
    clock.advance(registry.settings.two_factor_ttl_seconds + 1)
    expired = await client.post("/api/two-factor/login", json={"twoFactorId": two_factor_id, "code": codes[0],
                                                               "applicationId": app["id"]})
    assert expired.status_code == 404


async def test_recovery_code_logs_in_once(client: httpx.AsyncClient, registry: Registry, admin: dict[str, str]) -> None:
    app, _, user = await setup(registry)
    _, codes = await enrol(client, admin, user["id"])
    for expected in (200, 421):
        tfid = (await password_login(client, app)).json()["twoFactorId"]
        r = await client.post("/api/two-factor/login", json={"twoFactorId": tfid, "code": codes[3], "applicationId": app["id"]})
        assert r.status_code == expected


async def test_wrong_codes_lock_the_account(client: httpx.AsyncClient, registry: Registry, admin: dict[str, str]) -> None:
    app, _, user = await setup(registry)
    secret, _ = await enrol(client, admin, user["id"])
    tfid = (await password_login(client, app)).json()["twoFactorId"]
    wrong = "000000" if code_now(secret) != "000000" else "111111"
    for _ in range(registry.settings.failed_login_threshold):
        await client.post("/api/two-factor/login", json={"twoFactorId": tfid, "code": wrong, "applicationId": app["id"]})
    next_step()
    r = await client.post("/api/two-factor/login", json={"twoFactorId": tfid, "code": code_now(secret),
                                                         "applicationId": app["id"]})
    assert r.status_code == 409
    assert (await password_login(client, app)).status_code == 409  # the password login is locked too


async def test_logging_in_again_does_not_reset_the_code_guesses(client: httpx.AsyncClient, registry: Registry,
                                                                admin: dict[str, str]) -> None:
    """A stolen password buys `threshold` guesses at the code in all, not per password login."""
    app, _, user = await setup(registry)
    secret, _ = await enrol(client, admin, user["id"])
    wrong = "000000" if code_now(secret, 1) != "000000" else "111111"
    for _ in range(registry.settings.failed_login_threshold):
        tfid = (await password_login(client, app)).json()["twoFactorId"]
        r = await client.post("/api/two-factor/login", json={"twoFactorId": tfid, "code": wrong, "applicationId": app["id"]})
        assert r.status_code == 421
    assert (await password_login(client, app)).status_code == 409  # the account is locked now


@pytest.mark.parametrize("policy,enrolled,expected", [("Disabled", True, 200), ("Required", False, 242),
                                                       ("Enabled", False, 200), ("Enabled", True, 242)])
async def test_application_login_policy(client: httpx.AsyncClient, registry: Registry, admin: dict[str, str],
                                        policy: str, enrolled: bool, expected: int) -> None:
    app, _, user = await setup(registry, multiFactorConfiguration={"loginPolicy": policy})
    if enrolled:
        await enrol(client, admin, user["id"])
    assert (await password_login(client, app)).status_code == expected


async def test_enable_and_disable_need_right_codes(client: httpx.AsyncClient, registry: Registry,
                                                   admin: dict[str, str]) -> None:
    _, _, user = await setup(registry)
    got = (await client.get("/api/two-factor/secret", headers=admin)).json()
    secret = base64.b64decode(got["secret"])
    wrong = "000000" if code_now(secret) != "000000" else "111111"
    bad = await client.post(f"/api/user/two-factor/{user['id']}", headers=admin,
                            json={"method": "authenticator", "code": wrong, "secretBase32Encoded": got["secretBase32Encoded"]})
    assert bad.status_code == 421
    for body in ({"code": "123456"}, {"code": "123456", "secret": "!!"}, {"method": "sms", "code": "1", "secret": got["secret"]}):
        assert (await client.post(f"/api/user/two-factor/{user['id']}", headers=admin, json=body)).status_code == 400
    assert (await client.post(f"/api/user/two-factor/{user['id']}", json={"code": "1"})).status_code == 401
    assert await registry.db.mfa_methods.for_user(user["id"]) == []
    secret, codes = await enrol(client, admin, user["id"])
    method_id = (await registry.db.mfa_methods.for_user(user["id"]))[0]["id"]
    r = await client.delete(f"/api/user/two-factor/{user['id']}", headers=admin,
                            params={"methodId": method_id, "code": code_now(secret)})  # spent at enrolment
    assert r.status_code == 421 and len(await registry.db.mfa_methods.for_user(user["id"])) == 1
    r = await client.delete(f"/api/user/two-factor/{user['id']}", headers=admin, params={"methodId": method_id, "code": codes[0]})
    assert r.status_code == 200 and await registry.db.mfa_methods.for_user(user["id"]) == []


async def test_passkey_registration_and_passwordless_login(client: httpx.AsyncClient, registry: Registry,
                                                          admin: dict[str, str]) -> None:
    app, _, user = await setup(registry)
    key = SoftKey(RP_ID, IDP)
    start = await client.post("/api/webauthn/register/start", headers=admin,
                              json={"userId": user["id"], "displayName": "Richard", "name": "Laptop", "workflow": "general"})
    assert start.status_code == 200 and start.json()["options"]["rp"]["id"] == RP_ID
    done = await client.post("/api/webauthn/register/complete", headers=admin, json={
        "userId": user["id"], "credential": key.register(start.json()["options"]), "origin": IDP, "rpId": RP_ID})
    assert done.status_code == 200 and done.json()["credential"]["name"] == "Laptop"
    listed = await client.get("/api/webauthn", headers=admin, params={"userId": user["id"]})
    assert [c["name"] for c in listed.json()["credentials"]] == ["Laptop"]
    options = (await client.post("/api/webauthn/start", headers=admin,
                                 json={"applicationId": app["id"], "workflow": "bootstrap"})).json()["options"]
    evil = await client.post("/api/webauthn/login", json={"credential": key.assert_(options, origin="http://evil.example"),
                                                          "applicationId": app["id"]})
    assert evil.status_code == 400
    options = (await client.post("/api/webauthn/start", headers=admin, json={"applicationId": app["id"]})).json()["options"]
    r = await client.post("/api/webauthn/login", json={"credential": key.assert_(options), "applicationId": app["id"]})
    assert r.status_code == 200, r.text
    assert claims(r.json()["token"])["amr"] == ["hwk", "mfa", "user"]
    # a passkey is also a second factor: the password login now answers 242 and the key finishes it
    second = await password_login(client, app)
    assert second.status_code == 242 and second.json()["methods"][0]["method"] == "webauthn"
    tfid = second.json()["twoFactorId"]
    options = (await client.post("/api/webauthn/start", headers=admin, json={"applicationId": app["id"],
                                                                             "twoFactorId": tfid})).json()["options"]
    assert [c["id"] for c in options["allowCredentials"]] == [done.json()["credential"]["credentialId"]]
    r = await client.post("/api/webauthn/login", json={"credential": key.assert_(options), "applicationId": app["id"],
                                                       "twoFactorId": tfid})
    assert r.status_code == 200 and claims(r.json()["token"])["amr"] == ["hwk", "mfa", "pwd", "user"]
    removed = await client.delete(f"/api/webauthn/{done.json()['credential']['id']}", headers=admin)
    assert removed.status_code == 200 and (await password_login(client, app)).status_code == 200


async def test_admin_api_refuses_an_unknown_login_policy(client: httpx.AsyncClient, registry: Registry,
                                                        admin: dict[str, str]) -> None:
    r = await client.post("/api/application", headers=admin, json={"application": {
        "name": "X", "multiFactorConfiguration": {"loginPolicy": "Sometimes"}}})
    assert r.status_code == 400
    assert list(r.json()["fieldErrors"]) == ["application.multiFactorConfiguration.loginPolicy"]
    r = await client.post("/api/application", headers=admin, json={"application": {
        "name": "X", "multiFactorConfiguration": {"loginPolicy": "Required"}}})
    assert r.status_code == 200 and r.json()["application"]["multiFactorConfiguration"] == {"loginPolicy": "Required"}


async def test_disable_with_a_recovery_code_removes_every_method(client: httpx.AsyncClient, registry: Registry,
                                                                 admin: dict[str, str]) -> None:
    """FusionAuth: "If a recovery code is provided, all methods are removed" -- here sent in a JSON
    body (TwoFactorDisableRequest) rather than the query."""
    _, _, user = await setup(registry)
    _, codes = await enrol(client, admin, user["id"])
    other = totp.new_secret()
    r = await client.post(f"/api/user/two-factor/{user['id']}", headers=admin, json={
        "method": "authenticator", "code": code_now(other), "secretBase32Encoded": totp.base32(other)})
    assert r.status_code == 200 and "recoveryCodes" not in r.json()
    first = (await registry.db.mfa_methods.for_user(user["id"]))[0]["id"]
    for body, status in (({"methodId": first}, 400), ({"code": codes[0]}, 400), ({"methodId": first, "code": "ZZZZZ-ZZZZZ"}, 421)):
        r = await client.request("DELETE", f"/api/user/two-factor/{user['id']}", headers=admin, json=body)
        assert r.status_code == status, (body, r.text)
    assert len(await registry.db.mfa_methods.for_user(user["id"])) == 2
    r = await client.request("DELETE", f"/api/user/two-factor/{user['id']}", headers=admin,
                             json={"methodId": first, "code": codes[0]})
    assert r.status_code == 200
    assert await registry.db.mfa_methods.for_user(user["id"]) == [] and await registry.db.recovery_codes.remaining(user["id"]) == 0


async def test_a_stolen_access_token_cannot_strip_mfa(client: httpx.AsyncClient, registry: Registry,
                                                      admin: dict[str, str]) -> None:
    """The user's own JWT reaches the self-service two-factor APIs, but removing a method still
    takes a fresh code, and passkeys (added or removed) and recovery codes are managed with an API
    key only (as in FusionAuth)."""
    app, _, user = await setup(registry)
    stolen = {"Authorization": f"Bearer {(await password_login(client, app)).json()['token']}"}
    secret, codes = await enrol(client, admin, user["id"])
    key = SoftKey(RP_ID, IDP)
    start = await client.post("/api/webauthn/register/start", headers=admin, json={"userId": user["id"]})
    done = await client.post("/api/webauthn/register/complete", headers=admin,
                             json={"userId": user["id"], "credential": key.register(start.json()["options"])})
    passkey_id = done.json()["credential"]["id"]
    method_id = (await registry.db.mfa_methods.for_user(user["id"]))[0]["id"]
    spent = code_now(secret)  # the enrolment's
    for params, status in (({"methodId": method_id}, 400), ({"methodId": method_id, "code": spent}, 421),
                           ({"methodId": method_id, "code": "ZZZZZ-ZZZZZ"}, 421)):
        r = await client.delete("/api/user/two-factor", headers=stolen, params=params)
        assert r.status_code == status, (params, r.text)
    assert (await client.delete(f"/api/webauthn/{passkey_id}", headers=stolen)).status_code == 401
    for body in ({}, {"userId": user["id"]}):  # nor adds the thief's own passkey, which would sign in alone
        assert (await client.post("/api/webauthn/register/start", headers=stolen, json=body)).status_code == 401
    assert (await client.post("/api/webauthn/register/start", headers=admin, json={})).status_code == 400
    assert (await client.post(f"/api/user/two-factor/recovery-code/{user['id']}", headers=stolen)).status_code == 401
    assert len(await registry.db.mfa_methods.for_user(user["id"])) == 1
    assert len(await registry.db.webauthn_credentials.for_user(user["id"])) == 1
    assert await registry.db.recovery_codes.remaining(user["id"]) == 10
    next_step()  # with a fresh code the same token may (the user is the caller)
    r = await client.delete("/api/user/two-factor", headers=stolen, params={"methodId": method_id, "code": code_now(secret)})
    assert r.status_code == 200 and await registry.db.mfa_methods.for_user(user["id"]) == []
    assert await registry.db.recovery_codes.remaining(user["id"]) == 0 and len(codes) == 10  # gone with the last method


async def test_webauthn_two_factor_ids_reused_expired_or_for_another_application(
        client: httpx.AsyncClient, registry: Registry, admin: dict[str, str]) -> None:
    """The passkey path of a 242 takes twoFactorIds like /api/two-factor/login does: 404 for one
    spent, expired or issued to another application, and nothing is spent or moved."""
    app, other, user = await setup(registry)
    key = SoftKey(RP_ID, IDP)
    start = await client.post("/api/webauthn/register/start", headers=admin, json={"userId": user["id"]})
    await client.post("/api/webauthn/register/complete", headers=admin,
                      json={"userId": user["id"], "credential": key.register(start.json()["options"])})

    async def options_for(tfid: str, app_id: str) -> httpx.Response:
        return await client.post("/api/webauthn/start", headers=admin, json={"applicationId": app_id, "twoFactorId": tfid})

    async def counter() -> int:
        return int((await registry.db.webauthn_credentials.for_user(user["id"]))[0]["sign_count"])

    tfid = (await password_login(client, app)).json()["twoFactorId"]
    assert (await options_for(tfid, other["id"])).status_code == 404
    options = (await options_for(tfid, app["id"])).json()["options"]
    answer = key.assert_(options)
    for body in ({"twoFactorId": tfid, "applicationId": other["id"]}, {"twoFactorId": "made-up", "applicationId": app["id"]},
                 {"twoFactorId": tfid}):
        r = await client.post("/api/webauthn/login", json={"credential": answer, **body})
        assert r.status_code in (400, 404) and "token" not in r.text, (body, r.text)
    assert await counter() == 0
    done = await client.post("/api/webauthn/login", json={"credential": answer, "twoFactorId": tfid, "applicationId": app["id"]})
    assert done.status_code == 200 and await counter() == 1
    again = await client.post("/api/webauthn/login", json={"credential": key.assert_(options), "twoFactorId": tfid,
                                                           "applicationId": app["id"]})
    assert again.status_code == 404 and await counter() == 1  # spent by its login
    late = (await password_login(client, app)).json()["twoFactorId"]
    options = (await options_for(late, app["id"])).json()["options"]
    clock.advance(registry.settings.two_factor_ttl_seconds + 1)
    r = await client.post("/api/webauthn/login", json={"credential": key.assert_(options), "twoFactorId": late,
                                                       "applicationId": app["id"]})
    assert r.status_code == 404 and await counter() == 1
