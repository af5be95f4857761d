"""What changing the account's factors takes on the security page (/account/mfa), over HTTP on
both databases: removing an authenticator app or a passkey, making new recovery codes, and adding
a factor to an account that has one each need a fresh second factor (a code, a recovery code or
a passkey's answer to this page's challenge). Without one the change is refused and nothing
changes, and an attacker holding only the victim's session cookies can neither strip their MFA
nor add their own passkey."""
from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest

from authgate.mfa import factors, passkeys, totp
from authgate.web.app import create_app
from authgate.web.cookies import BROWSER, SSO
from tests.conftest import IDP
from tests.mfa.conftest import code_now, next_step
from tests.mfa.hosted import forms
from tests.mfa.softkey import UP, SoftKey
from tests.mfa.test_account import PAGE, signed_in
from tests.oauth2.conftest import World, world  # noqa: F401

RP_ID = "idp.authgate.localhost"


async def with_factors(client: httpx.AsyncClient, w: World) -> tuple[bytes, list[str], SoftKey]:
    """Signed in with the password, then an authenticator app and a passkey added."""
    await signed_in(client, w)
    secret = totp.new_secret()
    _, codes = await factors.enable_totp(w.reg, w.user["id"], secret, code_now(secret))
    assert codes
    key = SoftKey(RP_ID, IDP)
    await passkeys.register(w.reg, w.user["id"], key.register(await passkeys.registration_options(w.reg, w.user, "Laptop")))
    next_step()  # the enrolment's code is spent; the next one is fresh
    return secret, codes, key


async def state(w: World) -> tuple[list[str], list[str], int]:
    uid = w.user["id"]
    return ([m["id"] for m in await w.reg.db.mfa_methods.for_user(uid)],
            [p["id"] for p in await w.reg.db.webauthn_credentials.for_user(uid)],
            await w.reg.db.recovery_codes.remaining(uid))


def confirm_form(page: str, action: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The form posting to `action`, and the passkey options its "confirm with a passkey" button uses."""
    attrs, fields = next((a, f) for a, f in forms(page) if a.get("action") == action)
    return json.loads(html.unescape(str(attrs["data-options"]))), dict(fields)


async def actions(w: World) -> dict[str, str]:
    method_id = (await w.reg.db.mfa_methods.for_user(w.user["id"]))[0]["id"]
    passkey_id = (await w.reg.db.webauthn_credentials.for_user(w.user["id"]))[0]["id"]
    return {"totp": f"{PAGE}/totp/{method_id}/remove", "passkey": f"{PAGE}/passkeys/{passkey_id}/remove",
            "recovery-codes": f"{PAGE}/recovery-codes"}


async def refusals(client: httpx.AsyncClient, w: World, key: SoftKey, secret: bytes, action: str) -> list[dict[str, str]]:
    """Posts that carry no fresh factor of this user; each built from a freshly loaded page."""
    stale = code_now(secret, -1)  # the enrolment's code: spent
    wrong = next(c for c in ("000000", "111111") if c not in (code_now(secret), stale, code_now(secret, 1)))
    login_options = await passkeys.authentication_options(w.reg, w.user["id"], passwordless=True)
    posts = []
    for make in (lambda o: {"code": ""}, lambda o: {"code": wrong}, lambda o: {"code": stale},
                 lambda o: {"code": "１２３４５６"}, lambda o: {"code": "AAAAA-AAAAA"},
                 lambda o: {"webauthnResponse": "{not json"},
                 lambda o: {"webauthnResponse": json.dumps(key.assert_(login_options))},  # a sign-in challenge
                 lambda o: {"webauthnResponse": json.dumps(SoftKey(RP_ID, IDP).assert_(o))},  # not their passkey
                 lambda o: {"webauthnResponse": json.dumps(key.assert_(o, flags=UP))},  # no user verification
                 lambda o: {"webauthnResponse": json.dumps(key.assert_(o, origin="http://evil.authgate.localhost:9011"))}):
        options, fields = confirm_form((await client.get(PAGE)).text, action)
        posts.append({**fields, **make(options)})
    return posts


@pytest.mark.parametrize("what", ["totp", "passkey", "recovery-codes"])
async def test_refused_without_a_fresh_factor_and_nothing_changes(client: httpx.AsyncClient, world: World,
                                                                  what: str) -> None:
    secret, codes, key = await with_factors(client, world)
    action = (await actions(world))[what]
    before = await state(world)
    for data in await refusals(client, world, key, secret, action):
        r = await client.post(action, data=data)
        assert r.status_code == 400 and "Nothing was" in r.text, (data, r.text[:300])
        assert await state(world) == before
    assert await factors.check_code(world.reg, world.user["id"], codes[0]) == "recovery"  # the old codes still work


async def test_accepted_with_any_fresh_factor(client: httpx.AsyncClient, world: World) -> None:
    secret, codes, key = await with_factors(client, world)
    acts = await actions(world)
    methods, keys, _ = await state(world)
    # new recovery codes, confirmed with a recovery code (spent, then all replaced)
    _, fields = confirm_form((await client.get(PAGE)).text, acts["recovery-codes"])
    fresh_codes = await client.post(acts["recovery-codes"], data={**fields, "code": codes[0]})
    shown = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", fresh_codes.text)
    assert fresh_codes.status_code == 200 and len(shown) == 10 and not set(shown) & set(codes)
    # the passkey, removed with a code from the app
    _, fields = confirm_form((await client.get(PAGE)).text, acts["passkey"])
    assert (await client.post(acts["passkey"], data={**fields, "code": code_now(secret)})).status_code == 303
    assert await state(world) == (methods, [], 10)
    # an app, removed with a passkey's answer: add one back first
    key = SoftKey(RP_ID, IDP)
    await passkeys.register(world.reg, world.user["id"],
                            key.register(await passkeys.registration_options(world.reg, world.user, "Phone")))
    options, fields = confirm_form((await client.get(PAGE)).text, acts["totp"])
    answer = json.dumps(key.assert_(options))
    assert (await client.post(acts["totp"], data={**fields, "webauthnResponse": answer})).status_code == 303
    methods, keys, remaining = await state(world)
    assert methods == [] and len(keys) == 1 and remaining == 0  # recovery codes go with the last app
    again = await client.post(acts["totp"], data={**fields, "webauthnResponse": answer})
    assert again.status_code == 404  # already gone; the answer's challenge was spent anyway


async def test_a_recovery_code_removes_every_app(client: httpx.AsyncClient, world: World) -> None:
    secret, codes, _ = await with_factors(client, world)
    other = totp.new_secret()
    await factors.enable_totp(world.reg, world.user["id"], other, code_now(other))
    acts = await actions(world)
    _, fields = confirm_form((await client.get(PAGE)).text, acts["totp"])
    r = await client.post(acts["totp"], data={**fields, "code": codes[5]})
    assert r.status_code == 303
    assert "every authenticator app was removed" in (await client.get(r.headers["location"])).text
    methods, keys, remaining = await state(world)
    assert methods == [] and remaining == 0 and len(keys) == 1  # passkeys are not authenticator apps


async def test_a_stolen_session_cookie_cannot_strip_mfa(client: httpx.AsyncClient, world: World) -> None:
    """The attacker copies the victim's session cookies into their own client (so they pass the CSRF
    check with their own token) and knows a code the victim used a moment ago: MFA stays."""
    secret, codes, key = await with_factors(client, world)
    used = code_now(secret)
    assert await factors.check_code(world.reg, world.user["id"], used) == "otp"  # the victim signs in somewhere
    before = await state(world)
    wrong = next(c for c in ("000000", "111111") if c not in (used, code_now(secret, 1)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(world.reg.settings, world.reg)),
                                 base_url=IDP) as attacker:
        for name in (SSO, BROWSER):  # the session's cookies, as cookie-stealing malware takes them
            attacker.cookies.set(name, str(client.cookies.get(name)))
        page = await attacker.get(PAGE)
        assert page.status_code == 200  # the cookie alone shows the page...
        acts = await actions(world)
        own_key = SoftKey(RP_ID, IDP)  # the attacker's own authenticator
        register_attrs, register = next((a, f) for a, f in forms((await attacker.get(PAGE)).text)
                                        if a.get("id") == "passkey-register")
        own = own_key.register(json.loads(html.unescape(str(register_attrs["data-options"]))))
        r = await attacker.post(f"{PAGE}/passkeys", data={**register, "webauthnResponse": json.dumps(own)})
        assert r.status_code == 400  # nor adds their own passkey, which would sign in alone
        _, start = confirm_form((await attacker.get(PAGE)).text, f"{PAGE}/totp/start")
        r = await attacker.post(f"{PAGE}/totp/start", data=start)
        assert r.status_code == 400 and "<svg" not in r.text  # nor their own authenticator app
        for action in acts.values():
            for proof in ({}, {"code": used}, {"code": wrong}, {"code": "ABCDE-FGHJK"}, None):
                options, fields = confirm_form((await attacker.get(PAGE)).text, action)
                data = {**fields, "webauthnResponse": json.dumps(own_key.assert_(options))} if proof is None \
                    else {**fields, **proof}
                r = await attacker.post(action, data=data)
                assert r.status_code == 400, (action, proof, r.status_code)  # ...but removes nothing
    assert await state(world) == before
    await world.reg.db.login_failures.reset(world.user["id"])
    next_step()
    assert await factors.check_code(world.reg, world.user["id"], codes[0]) == "recovery"
    assert await factors.check_code(world.reg, world.user["id"], code_now(secret)) == "otp"


async def test_adding_a_factor_to_an_account_with_one_needs_a_fresh_one(client: httpx.AsyncClient, world: World) -> None:
    secret, codes, key = await with_factors(client, world)
    page = (await client.get(PAGE)).text
    attrs, fields = next((a, f) for a, f in forms(page) if a.get("id") == "passkey-register")
    assert "confirmResponse" in fields and "code" in fields and attrs.get("data-confirm-options")
    new_key = SoftKey(RP_ID, IDP)
    answer = json.dumps(new_key.register(json.loads(html.unescape(str(attrs["data-options"])))))
    refused = await client.post(f"{PAGE}/passkeys", data={**fields, "webauthnResponse": answer, "code": "ZZZZZ-ZZZZZ"})
    assert refused.status_code == 400 and "Nothing was added" in refused.text
    assert len((await state(world))[1]) == 1
    attrs, fields = next((a, f) for a, f in forms(refused.text) if a.get("id") == "passkey-register")
    confirm = json.loads(html.unescape(str(attrs["data-confirm-options"])))
    answer = json.dumps(new_key.register(json.loads(html.unescape(str(attrs["data-options"])))))
    added = await client.post(f"{PAGE}/passkeys", data={**fields, "webauthnResponse": answer,
                                                        "confirmResponse": json.dumps(key.assert_(confirm))})
    assert added.status_code == 303 and len((await state(world))[1]) == 2
    _, start = confirm_form((await client.get(PAGE)).text, f"{PAGE}/totp/start")
    assert (await client.post(f"{PAGE}/totp/start", data=start)).status_code == 400
    _, start = confirm_form((await client.get(PAGE)).text, f"{PAGE}/totp/start")
    enrolling = await client.post(f"{PAGE}/totp/start", data={**start, "code": code_now(secret)})
    assert enrolling.status_code == 200 and "<svg" in enrolling.text
    assert len(codes) == 10 and await world.reg.db.recovery_codes.remaining(world.user["id"]) == 10
