"""What an administrator does in the console, checked in storage, in the API's answers and in the
audit log (every action is the API's own function, so it leaves the API's event with the admin
as actor)."""
from __future__ import annotations

import re

from authgate.clock import clock
from authgate.console import CONSOLE_APP_ID
from authgate.storage.repos.events import AuditQuery
from tests.admin.conftest import PASSWORD, USER_EMAIL, Console, post
from tests.conftest import API_KEY


async def _audit(console: Console) -> list[tuple[str, str, str]]:
    """(event type, actor kind, insertUser) of the audit log, newest first."""
    _, entries = await console.reg.db.audit_log.search(AuditQuery(limit=200))
    return [(e["event_type"], e["actor_kind"], e["insert_user"]) for e in entries]


async def _login_status(console: Console, email: str, password: str = PASSWORD) -> int:
    r = await console.anon.post("/api/login", json={"loginId": email, "password": password})
    return r.status_code


async def test_create_edit_rotate_and_delete_an_application(console: Console) -> None:
    r = await post(console.admin, "/admin/applications/new", "/admin/applications/new", {
        "name": "Shop", "oauthConfiguration.authorizedRedirectURLs": "https://shop.example/cb\nhttps://shop.example/cb2",
        "oauthConfiguration.authorizedOriginURLs": "https://shop.example",
        "oauthConfiguration.enabledGrants": ["authorization_code", "refresh_token"],
        "oauthConfiguration.requireClientAuthentication": "on",
        "oauthConfiguration.proofKeyForCodeExchangePolicy": "Required",
        "jwtConfiguration.timeToLiveInSeconds": "300", "jwtConfiguration.refreshTokenUsagePolicy": "OneTimeUse",
        "multiFactorConfiguration.loginPolicy": "Enabled", "registrationConfiguration.enabled": "on",
        "registrationConfiguration.firstName.enabled": "on", "registrationConfiguration.firstName.required": "on",
        "emailConfiguration.verifyEmail": "yes", "emailConfiguration.unverified.behavior": "Gated",
        "roles": "buyer\nseller"})
    assert r.status_code == 200 and "Application created" in r.text
    secret = re.search(r'<code id="secret-value">([^<]+)</code>', r.text).group(1)
    app = next(a for a in await console.reg.db.applications.list() if a["name"] == "Shop")
    doc = app["doc"]
    assert doc["oauthConfiguration"]["clientSecret"] == secret
    assert doc["oauthConfiguration"]["authorizedRedirectURLs"] == ["https://shop.example/cb", "https://shop.example/cb2"]
    assert doc["jwtConfiguration"]["timeToLiveInSeconds"] == 300 and doc["registrationConfiguration"]["enabled"] is True
    assert doc["multiFactorConfiguration"]["loginPolicy"] == "Enabled"
    assert doc["registrationConfiguration"]["firstName"] == {"enabled": True, "required": True}
    assert doc["registrationConfiguration"]["lastName"] == {"enabled": False, "required": False}
    assert doc["emailConfiguration"] == {"verifyEmail": True, "unverified": {"behavior": "Gated"}}
    assert sorted(x["name"] for x in doc["roles"]) == ["buyer", "seller"]
    page = f"/admin/applications/{app['id']}"
    assert secret not in (await console.admin.get(page)).text  # shown once

    # The API's validation answers beside the field, and nothing is stored.
    bad = await post(console.admin, page, page, {"name": "Shop", "oauthConfiguration.authorizedRedirectURLs": "not a url",
                                                 "jwtConfiguration.timeToLiveInSeconds": "-5"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    assert "Every entry of [authorizedRedirectURLs] must be" in bad.text and "[timeToLiveInSeconds] must be between 1 and" in bad.text
    assert (await console.reg.db.applications.get(app["id"]))["version"] == app["version"]

    ok = await post(console.admin, page, page, {"name": "Shop 2", "oauthConfiguration.authorizedRedirectURLs": "https://shop.example/new",
                                                "oauthConfiguration.enabledGrants": "authorization_code",
                                                "oauthConfiguration.requireClientAuthentication": "on", "roles": "buyer"})
    assert ok.status_code == 303
    edited = (await console.reg.db.applications.get(app["id"]))["doc"]
    assert edited["name"] == "Shop 2" and edited["oauthConfiguration"]["authorizedRedirectURLs"] == ["https://shop.example/new"]
    assert edited["oauthConfiguration"]["clientSecret"] == secret  # kept across edits
    assert [x["id"] for x in edited["roles"]] == [x["id"] for x in doc["roles"] if x["name"] == "buyer"]

    rotated = await post(console.admin, page, f"{page}/rotate-secret")
    new_secret = re.search(r'<code id="secret-value">([^<]+)</code>', rotated.text).group(1)
    assert new_secret != secret
    assert (await console.reg.db.applications.get(app["id"]))["doc"]["oauthConfiguration"]["clientSecret"] == new_secret

    assert (await post(console.admin, page, f"{page}/state", {"action": "deactivate"})).status_code == 303
    assert (await console.reg.db.applications.get(app["id"]))["active"] is False
    assert (await post(console.admin, page, f"{page}/state", {"action": "delete"})).status_code == 303
    assert await console.reg.db.applications.get(app["id"]) is None

    audit = await _audit(console)
    for kind in ("application.create", "application.update", "application.delete"):
        assert (kind, "admin", "admin:admin@example.com") in audit, kind


async def test_the_console_application_cannot_be_deleted(console: Console) -> None:
    page = f"/admin/applications/{CONSOLE_APP_ID}"
    r = await post(console.admin, page, f"{page}/state", {"action": "delete"})
    assert r.status_code == 400 and await console.reg.db.applications.get(CONSOLE_APP_ID) is not None
    r = await post(console.admin, page, page, {"name": "authgate admin console", "roles": "auditor",
                                               "oauthConfiguration.enabledGrants": "authorization_code"})
    assert r.status_code == 400 and "keeps its [admin] role" in r.text
    assert (await console.admin.get("/admin/")).status_code == 200


async def test_create_lock_unlock_deactivate_and_edit_a_user(console: Console) -> None:
    r = await post(console.admin, "/admin/users/new", "/admin/users/new",
                   {"email": "new@example.com", "firstName": "New", "password": "short"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text  # the API's password rule, beside the field
    assert await console.reg.db.users.find_by(email="new@example.com") is None
    r = await post(console.admin, "/admin/users/new", "/admin/users/new",
                   {"email": "new@example.com", "firstName": "New", "password": PASSWORD})
    assert r.status_code == 303
    user = await console.reg.db.users.find_by(email="new@example.com")
    page = f"/admin/users/{user['id']}"
    assert await _login_status(console, "new@example.com") == 200

    assert (await post(console.admin, page, f"{page}/state", {"action": "lock"})).status_code == 303
    shown = await console.admin.get(page)
    # A lock without end says so; nothing calls it temporary (here, at the login API or the hosted page).
    assert "locked by an administrator" in shown.text and "temporar" not in shown.text.lower()
    refused = await console.anon.post("/api/login", json={"loginId": "new@example.com", "password": PASSWORD})
    assert refused.status_code == 409 and "by an administrator" in refused.text
    audit_failures = [e for e in (await console.reg.db.audit_log.search(AuditQuery(limit=5)))[1]
                      if e["event_type"] == "user.login.failed"]
    assert "locked by an administrator" in str(audit_failures[0]["data"])
    assert (await post(console.admin, page, f"{page}/state", {"action": "unlock"})).status_code == 303
    assert await _login_status(console, "new@example.com") == 200
    # A lockout after wrong second-factor codes (the same row, with an end): the page says when it ends.
    await console.reg.db.login_failures.lock(user["id"], clock.now_ms() + 180_000)
    assert "locked until" in (shown := (await console.admin.get(page)).text) and "by an administrator" not in shown
    assert (await post(console.admin, page, f"{page}/state", {"action": "unlock"})).status_code == 303
    assert await _login_status(console, "new@example.com") == 200

    assert (await post(console.admin, page, f"{page}/state", {"action": "deactivate"})).status_code == 303
    assert await _login_status(console, "new@example.com") == 423
    assert (await post(console.admin, page, f"{page}/state", {"action": "reactivate"})).status_code == 303
    assert await _login_status(console, "new@example.com") == 200

    r = await post(console.admin, page, page, {"email": "renamed@example.com", "firstName": "Renamed", "password": ""})
    assert r.status_code == 303
    assert (await console.reg.db.users.get(user["id"]))["doc"]["firstName"] == "Renamed"
    assert await _login_status(console, "renamed@example.com") == 200  # the blank password field kept the password
    audit = await _audit(console)
    for kind in ("user.create", "user.update", "user.deactivate", "user.reactivate"):
        assert (kind, "admin", "admin:admin@example.com") in audit, kind

    found = await console.admin.get("/admin/users", params={"q": "renamed"})
    assert "renamed@example.com" in found.text and USER_EMAIL not in found.text


async def test_an_admin_cannot_lock_themself_out(console: Console) -> None:
    page = f"/admin/users/{console.admin_user['id']}"
    r = await post(console.admin, page, f"{page}/state", {"action": "lock"})
    assert r.status_code == 400 and (await console.admin.get("/admin/")).status_code == 200


async def test_registrations_roles_sessions_and_refresh_tokens(console: Console) -> None:
    shop = await post(console.admin, "/admin/applications/new", "/admin/applications/new",
                      {"name": "Shop", "oauthConfiguration.enabledGrants": ["authorization_code", "refresh_token"],
                       "roles": "buyer\nseller", "loginConfiguration.generateRefreshTokens": "on"})
    assert shop.status_code == 200
    app_id = re.search(r"Client id: <span class=\"mono\">([^<]+)<", shop.text).group(1)
    uid = console.plain_user["id"]
    page = f"/admin/users/{uid}"
    assert (await post(console.admin, page, f"{page}/registrations",
                       {"action": "add", "applicationId": app_id})).status_code == 303
    assert (await post(console.admin, page, f"{page}/registrations",
                       {"action": "roles", "applicationId": app_id, "roles": ["buyer", "seller"]})).status_code == 303
    assert (await console.reg.db.registrations.get(uid, app_id))["doc"]["roles"] == ["buyer", "seller"]
    bad = await post(console.admin, page, f"{page}/registrations", {"action": "roles", "applicationId": app_id, "roles": "admin"})
    assert bad.status_code == 400

    # A refresh token from /api/login, and the SSO session from the plain user's console sign-in.
    login = await console.anon.post("/api/login", json={"loginId": USER_EMAIL, "password": PASSWORD, "applicationId": app_id})
    refresh = login.json()["refreshToken"]
    detail = (await console.admin.get(page)).text
    token_id = login.json()["refreshTokenId"]
    assert token_id in detail or "Revoke" in detail
    assert (await post(console.admin, page, f"{page}/tokens", {"tokenId": token_id})).status_code == 303
    assert (await console.anon.post("/api/jwt/refresh", json={"refreshToken": refresh})).status_code == 400

    [session] = await console.reg.db.sso_sessions.live_for_user(uid)
    assert (await post(console.admin, page, f"{page}/sessions", {"sessionId": session["id"]})).status_code == 303
    assert await console.reg.db.sso_sessions.live_for_user(uid) == []
    assert ("jwt.refresh-token.revoke", "admin", "admin:admin@example.com") in await _audit(console)
    assert (await console.user.get("/admin/")).status_code == 302  # their console session went with it

    assert (await post(console.admin, page, f"{page}/registrations",
                       {"action": "remove", "applicationId": app_id})).status_code == 303
    assert await console.reg.db.registrations.get(uid, app_id) is None


async def test_rotate_a_signing_key_and_preview_the_jwks(console: Console) -> None:
    before = {k["id"] for k in await console.reg.db.signing_keys.list()}
    r = await post(console.admin, "/admin/keys", "/admin/keys/rotate", {"algorithm": "RS256"})
    assert r.status_code == 303
    new = {k["id"] for k in await console.reg.db.signing_keys.list()} - before
    assert len(new) == 1
    page = (await console.admin.get("/admin/keys")).text
    (kid,) = new
    assert page.count(kid) >= 2  # in the table and in the JWKS preview
    jwks = (await console.anon.get("/.well-known/jwks.json")).json()
    assert kid in {k["kid"] for k in jwks["keys"]}


async def test_api_keys_shown_once_usable_and_deleted(console: Console) -> None:
    r = await post(console.admin, "/admin/api-keys", "/admin/api-keys",
                   {"description": "<b>ci</b> key", "endpoints": "/api/user"})
    assert r.status_code == 200 and "&lt;b&gt;ci&lt;/b&gt;" in r.text
    value = re.search(r'<code id="secret-value">([^<]+)</code>', r.text).group(1)
    assert (await console.anon.get(f"/api/user/{console.plain_user['id']}", headers={"Authorization": value})).status_code == 200
    assert (await console.anon.get("/api/application", headers={"Authorization": value})).status_code == 401
    listing = (await console.admin.get("/admin/api-keys")).text
    assert value not in listing
    key_id = next(k["id"] for k in await console.reg.db.api_keys.list() if k["doc"]["metaData"]["attributes"]["description"] == "<b>ci</b> key")
    assert (await post(console.admin, "/admin/api-keys", f"/admin/api-keys/{key_id}/delete")).status_code == 303
    assert (await console.anon.get(f"/api/user/{console.plain_user['id']}", headers={"Authorization": value})).status_code == 401
    assert API_KEY  # the bootstrap key is untouched


async def test_send_a_password_reset_email(console: Console) -> None:
    page = f"/admin/users/{console.plain_user['id']}"
    before = await console.reg.db.outbox.pending_count()
    assert (await post(console.admin, page, f"{page}/reset-password")).status_code == 303
    assert await console.reg.db.outbox.pending_count() == before + 1
    assert ("audit-log.create", "admin", "admin:admin@example.com") in await _audit(console)


async def test_remove_a_users_authenticator_without_their_code(console: Console) -> None:
    import secrets as _secrets

    from authgate.clock import clock
    from authgate.mfa import factors, totp

    uid = console.plain_user["id"]
    secret = _secrets.token_bytes(20)
    method, _ = await factors.enable_totp(console.reg, uid, secret, totp.code_at(secret, int(clock.now()) // totp.STEP_SECONDS))
    page = f"/admin/users/{uid}"
    assert method.id in (await console.admin.get(page)).text
    assert (await post(console.admin, page, f"{page}/mfa", {"kind": "totp", "methodId": method.id})).status_code == 303
    assert await factors.methods(console.reg, uid) == []
    assert ("user.two-factor.method.remove", "admin", "admin:admin@example.com") in await _audit(console)
    assert (await post(console.admin, page, f"{page}/mfa", {"kind": "totp", "methodId": method.id})).status_code == 400
