"""Hosted sign-up tells what the User and Registration APIs tell: `user.create` and
`user.registration.create`, in the audit log and to webhooks, with the registration as the API
shows it -- and a sign-up with an address that has an account tells nothing (no enumeration)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from authgate import events, webhooks
from authgate.storage.repos.events import AuditQuery
from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, authorize, store_app, submit


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return {**mail_settings, "webhook_allowed_networks": "127.0.0.0/8"}


async def _sign_up(client, app: dict[str, Any], email: str):
    r = await submit(client, "/oauth2/register", {"email": email, "firstName": "Ada", "password": STRONG},
                     params=authorize(app["id"]))
    assert r.status_code == 200 and "Check your email" in r.text
    client.cookies.clear()


async def test_hosted_sign_up_is_audited_and_sent_to_webhooks_as_the_api_would(client, registry):
    app = await store_app(registry)
    hook = await webhooks.create(registry, {"url": "http://127.0.0.1:9/hook", "global": True, "connectTimeout": 1000,
                                            "readTimeout": 1000, "eventsEnabled": {
        events.USER_CREATE: True, events.USER_REGISTRATION_CREATE: True}})
    await _sign_up(client, app, "ada@example.com")

    user = await registry.db.users.find_by_login_id("ada@example.com")
    rows = [r for r in (await registry.db.audit_log.search(AuditQuery(user=user["id"], limit=10, newest_first=False)))[1]]
    assert [r["event_type"] for r in rows] == [events.USER_CREATE, events.USER_REGISTRATION_CREATE]
    assert {r["application_id"] for r in rows} == {app["id"]} and {r["ip_address"] for r in rows} == {"127.0.0.1"}
    registration = rows[1]["data"]["registration"]
    stored = await registry.db.registrations.get(user["id"], app["id"])
    assert registration["id"] == stored["id"] and registration["applicationId"] == app["id"]
    assert registration["roles"] == ["customer"] and "insertInstant" in registration  # the API's registration_json
    assert STRONG not in json.dumps([r["data"] for r in rows])

    sent = await registry.db.webhook_deliveries.for_webhook(hook["id"])
    assert sorted(d["event_type"] for d in sent) == sorted([events.USER_CREATE, events.USER_REGISTRATION_CREATE])
    assert {json.loads(d["body"])["event"]["user"]["id"] if d["event_type"] == events.USER_CREATE else
            json.loads(d["body"])["event"]["registration"]["id"] for d in sent} == {user["id"], stored["id"]}


async def test_signing_up_with_a_known_address_tells_no_one(client, registry):
    app = await store_app(registry)
    await make_user(registry, email="known@example.com")
    await _sign_up(client, app, "known@example.com")
    types = [r["event_type"] for r in (await registry.db.audit_log.search(AuditQuery(limit=20)))[1]]
    assert events.USER_CREATE not in types and events.USER_REGISTRATION_CREATE not in types
