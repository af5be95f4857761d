"""Injection strings in the string fields that are *stored* (admin APIs) or *reflected* (the
hosted login page): stored verbatim, returned as data, never evaluated, never a 500
(CWE-89 SQL injection, CWE-1336 template injection, CWE-79 reflected XSS)."""
from __future__ import annotations

import html
from typing import Any

import pytest

from tests.oauth2.conftest import STORE_CB, authorize_params, form_fields, world  # noqa: F401 - fixture
from tests.security.test_injection import PAYLOADS

# Printable payloads: NUL and friends are refused by validation (tested in test_injection).
STORED = [p for p in PAYLOADS if p.isprintable() and len(p) < 256]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1}


async def test_user_fields_are_stored_verbatim(client, admin):
    """CWE-89/CWE-1336 on POST /api/user: names, username and custom data come back unchanged."""
    for i, payload in enumerate(STORED):
        body = {"user": {"email": f"u{i}@example.com", "password": "long enough", "username": f"user{i}{payload[:40]}",
                         "firstName": payload, "lastName": payload, "data": {"note": payload}}}
        r = await client.post("/api/user", json=body, headers=admin)
        assert r.status_code in (200, 400), (payload, r.status_code, r.text)
        if r.status_code == 200:
            got = (await client.get(f"/api/user/{r.json()['user']['id']}", headers=admin)).json()["user"]
            assert got["firstName"] == payload and got["data"]["note"] == payload
    total = (await client.get("/api/user/search", params={"queryString": "*"}, headers=admin)).json()["total"]
    assert total >= len(STORED) - 2  # the users table survived every payload


async def test_application_and_registration_fields_are_stored_verbatim(client, admin):
    """CWE-89/CWE-1336 on POST /api/application (name, role names) and registrations (roles)."""
    for payload in STORED:
        r = await client.post("/api/application", json={"application": {
            "name": payload, "roles": [{"name": payload}]}}, headers=admin)
        assert r.status_code in (200, 400), (payload, r.status_code, r.text)
        if r.status_code == 200:
            app = r.json()["application"]
            assert app["name"] == payload
            user = await client.post("/api/user/registration", headers=admin, json={
                "user": {"email": f"{abs(hash(payload))}@example.com", "password": "long enough"},
                "registration": {"applicationId": app["id"], "roles": [payload]}})
            assert user.status_code == 200, user.text
            assert user.json()["registration"]["roles"] == [payload]


async def test_hosted_login_page_escapes_what_it_reflects(client, world):  # noqa: F811
    """CWE-79/CWE-1336: the login page shows the submitted loginId and the client's name back,
    escaped and unevaluated."""
    params = authorize_params(world.store["id"], STORE_CB,
                              login_hint="<script>alert(1)</script>{{7*7}}")
    page = await client.get("/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page.text  # escaped, and the template left unevaluated
    fields = form_fields(page.text)
    for payload in ["<img src=x onerror=alert(1)>", "{{7*7}}", "${7*7}", "' OR '1'='1"]:
        r = await client.post("/oauth2/authorize", data={**fields, "loginId": payload, "password": "x"})
        assert r.status_code in (200, 400, 403), r.text
        assert payload not in r.text or payload == html.escape(payload)
