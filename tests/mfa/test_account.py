"""The account security page (/account/mfa) over HTTP on both databases: signed-in only, TOTP
set-up with a server-side QR code and confirmation, recovery codes shown once, passkeys added,
renamed and removed, every form CSRF-protected. What removing needs: test_account_fresh.py."""
from __future__ import annotations

import html
import json
import re

import httpx

from authgate.mfa import totp
from authgate.mfa.recovery import normalise
from tests.conftest import IDP
from tests.mfa.conftest import code_now, next_step
from tests.mfa.hosted import form_with, forms
from tests.mfa.softkey import SoftKey
from tests.oauth2.conftest import STORE_CB, World, authorize_params, login, world  # noqa: F401

PAGE = "/account/mfa"


async def signed_in(client: httpx.AsyncClient, w: World) -> str:
    assert (await login(client, authorize_params(w.store["id"], STORE_CB))).status_code == 303
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    return page.text


def action_form(page: str, action: str) -> dict[str, str]:
    return dict(next(f for a, f in forms(page) if a.get("action") == action))


async def test_signed_out_is_refused(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get(PAGE)
    assert r.status_code == 401 and "not signed in" in r.text


async def test_set_up_an_authenticator_app(client: httpx.AsyncClient, world: World) -> None:
    page = await signed_in(client, world)
    start = await client.post(f"{PAGE}/totp/start", data=action_form(page, f"{PAGE}/totp/start"))
    assert start.status_code == 200 and "<svg" in start.text and "<script" not in start.text
    assert "script-src" not in start.headers["content-security-policy"]  # nothing to run on this page
    secret_text = re.search(r'id="totp-secret">([A-Z2-7]+)<', start.text)
    assert secret_text
    secret = totp.from_base32(secret_text.group(1))
    assert secret
    fields = form_with(start.text, "enrolId")
    wrong = await client.post(f"{PAGE}/totp", data={**fields, "code": "12345"})
    assert wrong.status_code == 400 and "does not match" in wrong.text and secret_text.group(1) in wrong.text
    assert await world.reg.db.mfa_methods.for_user(world.user["id"]) == []
    assert (await client.post(f"{PAGE}/totp", data={**fields, "code": code_now(secret)})).status_code == 400  # id spent
    fields = form_with(wrong.text, "enrolId")
    done = await client.post(f"{PAGE}/totp", data={**fields, "code": code_now(secret)})
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.text)
    assert done.status_code == 200 and len(codes) == 10 and all(normalise(c) == c for c in codes)
    assert (await client.post(f"{PAGE}/totp", data={**fields, "code": code_now(secret)})).status_code == 400  # spent
    page = (await client.get(PAGE)).text
    assert "10 recovery codes left" in page and normalise(codes[0]) not in page  # never shown again
    method_id = (await world.reg.db.mfa_methods.for_user(world.user["id"]))[0]["id"]
    removal = action_form(page, f"{PAGE}/totp/{method_id}/remove")
    refused = await client.post(f"{PAGE}/totp/{method_id}/remove", data={**removal, "code": code_now(secret)})
    assert refused.status_code == 400 and len(await world.reg.db.mfa_methods.for_user(world.user["id"])) == 1
    next_step()
    removed = await client.post(f"{PAGE}/totp/{method_id}/remove", data={**removal, "code": code_now(secret)})
    assert removed.status_code == 303 and await world.reg.db.mfa_methods.for_user(world.user["id"]) == []


async def test_passkeys_added_renamed_removed(client: httpx.AsyncClient, world: World) -> None:
    page = await signed_in(client, world)
    attrs, fields = next((a, f) for a, f in forms(page) if a.get("id") == "passkey-register")
    options = json.loads(html.unescape(str(attrs["data-options"])))
    assert options["authenticatorSelection"]["residentKey"] == "required"
    key = SoftKey("idp.authgate.localhost", IDP)
    added = await client.post(f"{PAGE}/passkeys", data={**fields, "name": "Work laptop",
                                                        "webauthnResponse": json.dumps(key.register(options))})
    assert added.status_code == 303
    page = (await client.get(added.headers["location"])).text
    assert "Your passkey was added." in page and 'value="Work laptop"' in page
    [row] = await world.reg.db.webauthn_credentials.for_user(world.user["id"])
    renamed = await client.post(f"{PAGE}/passkeys/{row['id']}/rename",
                                data={**action_form(page, f"{PAGE}/passkeys/{row['id']}/rename"), "name": "Phone"})
    assert renamed.status_code == 303
    replayed = await client.post(f"{PAGE}/passkeys", data={**fields, "webauthnResponse": json.dumps(key.register(options))})
    assert replayed.status_code == 400  # the registration challenge was spent (and a second factor now takes a fresh one)
    assert len(await world.reg.db.webauthn_credentials.for_user(world.user["id"])) == 1
    page = (await client.get(PAGE)).text
    # removing it needs a fresh factor: here the passkey itself, answering the page's challenge
    attrs, removal = next((a, f) for a, f in forms(page) if a.get("action") == f"{PAGE}/passkeys/{row['id']}/remove")
    confirm = json.loads(html.unescape(str(attrs["data-options"])))
    assert confirm["userVerification"] == "required" and [c["id"] for c in confirm["allowCredentials"]] == [row["credential_id"]]
    removed = await client.post(f"{PAGE}/passkeys/{row['id']}/remove",
                                data={**removal, "webauthnResponse": json.dumps(key.assert_(confirm))})
    assert removed.status_code == 303 and await world.reg.db.webauthn_credentials.for_user(world.user["id"]) == []


async def test_forms_need_their_csrf_token(client: httpx.AsyncClient, world: World) -> None:
    page = await signed_in(client, world)
    fields = action_form(page, f"{PAGE}/totp/start")
    forged = await client.post(f"{PAGE}/totp/start", data={**fields, "csrf_token": "z" * 43})
    assert forged.status_code == 403
    cross = await client.post(f"{PAGE}/totp/start", data=fields, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert await world.reg.db.mfa_methods.for_user(world.user["id"]) == []
