"""Who gets in, and what every console answer carries: administrators only (403 for a signed-in
non-admin, the login redirect or 401 for an anonymous visitor, on every route), CSRF refused,
no framing, stored HTML rendered inert."""
from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from authgate.console import CONSOLE_APP_ID
from authgate.web.app import create_app
from tests.admin.conftest import ADMIN_EMAIL, Console, csrf_of, new_client, post, sign_in
from tests.conftest import API_KEY, IDP

ANY_ID = "0b7e2a8c-6f1d-4c3a-9e5b-2d4f6a8c0e1f"
OUTSIDE = ("/admin/callback", "/admin/static/{name}")  # the OAuth redirect URI and the stylesheet/script


def console_routes() -> list[tuple[str, str]]:
    """Every (method, path) the console serves, from the application's own route table."""
    app = create_app()
    found: list[tuple[str, str]] = []

    def walk(routes: list) -> None:
        for r in routes:
            nested = getattr(r, "original_router", None)
            if nested is not None:
                walk(nested.routes)
            elif isinstance(r, APIRoute) and r.path.startswith("/admin") and r.path not in OUTSIDE:
                found.extend((m, r.path) for m in sorted(r.methods))

    walk(app.routes)
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", ANY_ID, path)


def test_the_route_table_is_not_empty() -> None:
    paths = {p for _, p in console_routes()}
    assert {"/admin/", "/admin/users", "/admin/applications", "/admin/keys", "/admin/api-keys"} <= paths


async def test_every_route_refuses_a_signed_in_non_admin(console: Console) -> None:
    token = csrf_of((await console.user.get("/admin/")).text)  # the 403 page still offers "Sign out"
    for method, path in console_routes():
        if path == "/admin/logout":
            continue  # signing out is the one thing a non-admin may do here
        r = await console.user.request(method, concrete(path), data={"csrf_token": token} if method == "POST" else None,
                                       headers={"Origin": IDP, "Sec-Fetch-Site": "same-origin"})
        assert r.status_code == 403, (method, path, r.status_code)
        assert "Not an administrator" in r.text


async def test_every_route_sends_an_anonymous_visitor_to_log_in(console: Console) -> None:
    for method, path in console_routes():
        r = await console.anon.request(method, concrete(path), data={} if method == "POST" else None)
        if method == "GET":
            assert r.status_code == 302, (method, path)
            location = r.headers["location"]
            assert location.startswith(f"{IDP}/oauth2/authorize?") and f"client_id={CONSOLE_APP_ID}" in location
            assert "code_challenge_method=S256" in location
        else:
            assert r.status_code == 401, (method, path, r.status_code)


async def test_admin_pages_answer_and_carry_the_security_headers(console: Console) -> None:
    for path in ("/admin/", "/admin/users", "/admin/users/new", "/admin/applications", "/admin/applications/new",
                 f"/admin/applications/{CONSOLE_APP_ID}", f"/admin/users/{console.admin_user['id']}",
                 "/admin/keys", "/admin/api-keys"):
        r = await console.admin.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
        assert "<script>" not in r.text and " style=" not in r.text and "<style" not in r.text


async def test_session_cookie_is_httponly_strict_and_opaque(registry, console: Console) -> None:  # noqa: ANN001
    async with new_client(create_app(registry.settings, registry)) as c:
        r = await sign_in(c, ADMIN_EMAIL)
        cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("authgate.admin="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "eyJ" not in cookie  # no token: the session lives on the server
        assert 'http-equiv="refresh"' in r.text  # moves on with a same-origin navigation


async def test_https_uses_a_host_prefixed_secure_cookie(registry, console: Console) -> None:  # noqa: ANN001
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(registry.settings, registry)),
                                 base_url=IDP.replace("http://", "https://")) as c:
        r = await c.get("/admin/")
        tx = next(v for v in r.headers.get_list("set-cookie") if "admin.tx" in v)
        assert tx.startswith("__Secure-authgate.admin.tx=") and "Secure" in tx and "SameSite=lax" in tx


async def test_form_posts_need_the_session_csrf_token_and_our_origin(console: Console) -> None:
    before = len(await console.reg.db.applications.list())
    token = csrf_of((await console.admin.get("/admin/applications/new")).text)
    body = {"name": "Forged", "oauthConfiguration.enabledGrants": "authorization_code"}
    attempts = [
        ({**body}, {}),  # no token
        ({**body, "csrf_token": "x" * 43}, {}),  # wrong token
        ({**body, "csrf_token": token}, {"Origin": "http://evil.example"}),  # cross-origin
        ({**body, "csrf_token": token}, {"Sec-Fetch-Site": "same-site"}),  # a sibling subdomain
    ]
    for data, headers in attempts:
        r = await console.admin.post("/admin/applications/new", data=data, headers=headers)
        assert r.status_code == 403 and "Request refused" in r.text, headers
    other = csrf_of((await console.user.get("/admin/")).text)  # a token of another session
    r = await console.admin.post("/admin/applications/new", data={**body, "csrf_token": other})
    assert r.status_code == 403
    assert len(await console.reg.db.applications.list()) == before
    ok = await post(console.admin, "/admin/applications/new", "/admin/applications/new", body)
    assert ok.status_code == 200 and len(await console.reg.db.applications.list()) == before + 1


async def test_html_in_every_field_is_rendered_inert(console: Console) -> None:
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    r = await post(console.admin, "/admin/applications/new", "/admin/applications/new",
                   {"name": evil, "roles": evil, "oauthConfiguration.enabledGrants": "authorization_code"})
    assert r.status_code == 200
    r = await post(console.admin, "/admin/users/new", "/admin/users/new",
                   {"email": "evil@example.com", "username": evil, "firstName": evil, "lastName": evil,
                    "password": "a long password"})
    assert r.status_code == 303
    user_page = r.headers["location"].split("?")[0]
    app = next(a for a in await console.reg.db.applications.list() if a["name"] == evil)
    # What others type reaches the console too: login ids and user agents of logins, audit entries.
    await console.anon.post("/api/login", json={"loginId": evil, "password": "x"}, headers={"User-Agent": evil})
    await console.anon.post("/api/login", json={"loginId": "evil@example.com", "password": "a long password"},
                            headers={"User-Agent": evil})
    entry = {"auditLog": {"insertUser": evil, "message": evil, "reason": evil}}
    assert (await console.anon.post("/api/system/audit-log", json=entry, headers={"Authorization": API_KEY})).status_code == 200
    for path in ("/admin/applications", f"/admin/applications/{app['id']}", "/admin/users?q=evil", user_page,
                 f"/admin/users/{console.admin_user['id']}", "/admin/", "/admin/logins", "/admin/audit"):
        page = (await console.admin.get(path)).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or path.endswith(console.admin_user["id"]), path


async def test_signed_out_visitor_and_logout(console: Console) -> None:
    r = await post(console.admin, "/admin/", "/admin/logout")
    assert r.status_code == 200 and "signed out" in r.text
    assert (await console.admin.get("/admin/")).status_code == 302
    # The IdP login ended too: the next visit shows the login form instead of signing in silently.
    assert await console.reg.db.sso_sessions.live_for_user(console.admin_user["id"]) == []


async def test_a_non_admin_can_sign_out_from_the_403_page(console: Console) -> None:
    r = await post(console.user, "/admin/", "/admin/logout")
    assert r.status_code == 200 and "signed out" in r.text
    assert (await console.user.get("/admin/")).status_code == 302


async def test_removing_the_admin_role_takes_effect_at_once(console: Console) -> None:
    await console.reg.db.registrations.update_doc(console.admin_user["id"], CONSOLE_APP_ID, {"roles": []})
    assert (await console.admin.get("/admin/users")).status_code == 403


async def test_ending_the_idp_session_ends_the_console_session(console: Console) -> None:
    from authgate import revocation

    for s in await console.reg.db.sso_sessions.live_for_user(console.admin_user["id"]):
        await revocation.end_session(console.reg, s["id"])
    assert (await console.admin.get("/admin/")).status_code == 302


async def test_idle_console_session_expires(console: Console) -> None:
    from authgate.clock import clock

    clock.advance(console.reg.settings.admin_session_idle_seconds + 5)
    assert (await console.admin.get("/admin/")).status_code == 302


@pytest.mark.parametrize("query", ["state=wrong&code=abc", "error=access_denied&state=x", "code=abc"])
async def test_callback_refuses_bad_or_forged_answers(console: Console, query: str) -> None:
    await console.anon.get("/admin/")  # sets the login transaction cookie
    r = await console.anon.get(f"/admin/callback?{query}")
    assert r.status_code == 400 and "did not complete" in r.text
    assert "authgate.admin=" not in r.headers.get("set-cookie", "")
