"""A change and the event that records it are one transaction (issue 14: "written in the same
transaction as the change"): when recording the event fails, the change is not stored either --
nor the revocation it would have caused -- and when it succeeds both are there. On SQLite and
PostgreSQL.

The failure is injected after the change's writes and the audit row, in the event's fan-out (a
sink, as the webhook outbox is one), so everything before it must be undone.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from authgate import account_lock, events, lock_state, refresh_tokens, revocation
from authgate.api_keys import create_api_key
from authgate.applications import create_application, delete_application, update_application
from authgate.registrations import delete_registration, register_user
from authgate.registry import Registry
from authgate.signing_keys import rotate_key
from authgate.storage.repos.events import AuditQuery
from authgate.users import delete_user, update_user
from tests.factories import make_application, make_user


class Injected(Exception):
    pass


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_allowed_networks": "127.0.0.0/8"}  # a webhook to a closed local port (never called)


@pytest.fixture
def fail_on(monkeypatch) -> Callable[[str], None]:
    """fail_on(type): recording an event of that type raises, after its audit row is written."""
    def arm(event_type: str) -> None:
        async def failing(reg: Registry, event: events.Event, tx: Any) -> None:
            if event.type == event_type:
                raise Injected(event_type)
        monkeypatch.setattr(events, "_sinks", [*events._sinks, failing])
    return arm


async def _types(reg: Registry) -> list[str]:
    return [r["event_type"] for r in (await reg.db.audit_log.search(AuditQuery(limit=100, newest_first=False)))[1]]


async def _fails(work: Awaitable[Any]) -> None:
    with pytest.raises(Injected):
        await work


async def _login(client: httpx.AsyncClient, app: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                              "applicationId": app["id"]})
    client.cookies.clear()
    assert r.status_code == 200, r.text
    return r.json()


async def _valid(client: httpx.AsyncClient, token: str) -> bool:
    return (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})).status_code == 200


async def test_a_user_update_that_cannot_be_recorded_changes_nothing(registry, fail_on):
    user = await make_user(registry, firstName="Richard")
    fail_on(events.USER_UPDATE)
    await _fails(update_user(registry, user["id"], {"firstName": "Mallory", "password": "another long password"}, patch=True))
    after = await registry.db.users.get(user["id"])
    assert after["doc"]["firstName"] == "Richard" and after["version"] == user["version"]
    assert after["password_hash"] == user["password_hash"]
    assert await _types(registry) == []


async def test_a_deactivation_that_cannot_be_recorded_leaves_the_user_and_their_tokens(client, registry, fail_on):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    tokens = await _login(client, app)
    fail_on(events.USER_DEACTIVATE)
    await _fails(delete_user(registry, user["id"], hard=False))
    assert (await registry.db.users.get(user["id"]))["active"] is True
    assert await _valid(client, tokens["token"])  # no revocation record, not even in this node's cache
    assert (await registry.db.refresh_tokens.find_by_token(tokens["refreshToken"]))["revoked_instant"] is None
    assert await _types(registry) == []


async def test_a_hard_delete_that_cannot_be_recorded_keeps_the_user(registry, fail_on):
    user = await make_user(registry)
    fail_on(events.USER_DELETE)
    await _fails(delete_user(registry, user["id"], hard=True))
    assert await registry.db.users.get(user["id"]) is not None
    assert (await registry.db.revoked_grants.lookup((revocation.user_key(user["id"]),))) == [None]


async def test_a_combined_registration_that_cannot_be_recorded_stores_neither_user_nor_registration(registry, fail_on):
    app = await make_application(registry)
    fail_on(events.USER_REGISTRATION_CREATE)  # after the user and its user.create event were written
    await _fails(register_user(registry, {"applicationId": app["id"]}, None,
                               {"email": "new@example.com", "password": "a long enough password"}))
    assert await registry.db.users.find_by_login_id("new@example.com") is None
    assert await _types(registry) == []


async def test_unregistering_that_cannot_be_recorded_keeps_the_registration_and_its_tokens(client, registry, fail_on):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    tokens = await _login(client, app)
    fail_on(events.USER_REGISTRATION_DELETE)
    await _fails(delete_registration(registry, user["id"], app["id"]))
    assert await registry.db.registrations.get(user["id"], app["id"]) is not None
    assert await _valid(client, tokens["token"])


async def test_application_changes_that_cannot_be_recorded_are_not_stored(registry, fail_on):
    before = await registry.db.applications.list()  # the console's own application
    fail_on(events.APPLICATION_CREATE)
    await _fails(create_application(registry, {"name": "Shop"}, None, None))
    assert await registry.db.applications.list() == before
    app = await make_application(registry)
    fail_on(events.APPLICATION_DELETE)
    await _fails(delete_application(registry, app["id"], hard=False, origins=None))  # deactivate, then its delete event
    assert (await registry.db.applications.get(app["id"]))["active"] is True
    await _fails(delete_application(registry, app["id"], hard=True, origins=None))
    assert await registry.db.applications.get(app["id"]) is not None
    assert await _types(registry) == []


async def test_keys_and_revocations_that_cannot_be_recorded_are_not_stored(client, registry, fail_on):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    tokens = await _login(client, app)
    keys = await registry.db.signing_keys.list()
    fail_on(events.KEY_ROTATE)
    await _fails(rotate_key(registry, "RS256"))
    assert await registry.db.signing_keys.list() == keys  # no new key, none retired
    api_keys = await registry.db.api_keys.list()
    fail_on(events.API_KEY_CREATE)
    await _fails(create_api_key(registry, {}, None))
    assert await registry.db.api_keys.list() == api_keys
    fail_on(events.REFRESH_TOKEN_REVOKE)
    row = await registry.db.refresh_tokens.find_by_token(tokens["refreshToken"])
    await _fails(refresh_tokens.revoke_by_id(registry, row["id"]))
    assert (await registry.db.refresh_tokens.get(row["id"]))["revoked_instant"] is None
    assert await _valid(client, tokens["token"])
    fail_on(events.USER_UPDATE)
    await _fails(account_lock.lock(registry, user["id"]))
    assert not lock_state.locked(await registry.db.login_failures.get(user["id"]))
    assert await _valid(client, tokens["token"])
    assert await _types(registry) == []


async def test_without_a_failure_each_change_is_stored_with_its_event(client, registry):
    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    tokens = await _login(client, app)
    await update_user(registry, user["id"], {"firstName": "Rick"}, patch=True)
    await account_lock.lock(registry, user["id"])
    assert not await _valid(client, tokens["token"])  # the lock's revocation is seen at once on this node
    await account_lock.unlock(registry, user["id"])
    await update_application(registry, app["id"], lambda doc: {**doc, "active": False}, None)
    await rotate_key(registry, "RS256")
    created, _ = await create_api_key(registry, {}, None)
    new, _ = await register_user(registry, {"applicationId": app["id"]}, None,
                                 {"email": "new@example.com", "password": "a long enough password"})
    await delete_user(registry, user["id"], hard=True)
    assert await registry.db.users.get(user["id"]) is None and await registry.db.users.get(new["id"]) is not None
    assert (await registry.db.applications.get(app["id"]))["active"] is False
    assert await registry.db.api_keys.get(created["id"]) is not None
    assert await _types(registry) == [
        "user.update", "user.update", "user.update", "application.update", "key.rotate", "api-key.create",
        "user.create", "user.registration.create", "user.delete"]


async def test_a_password_change_that_cannot_be_recorded_keeps_the_old_password_and_sessions(client, registry, fail_on):
    from authgate.lifecycle.change_password import set_password

    app = await make_application(registry)
    user = await make_user(registry, apps=[app])
    tokens = await _login(client, app)
    fail_on(events.USER_PASSWORD_UPDATE)
    await _fails(set_password(registry, user, "a brand new passphrase"))
    assert (await registry.db.users.get(user["id"]))["password_hash"] == user["password_hash"]
    assert await _valid(client, tokens["token"])
    assert await _types(registry) == []


async def test_second_factors_and_webhooks_that_cannot_be_recorded_are_not_stored(registry, fail_on):
    from authgate import webhooks
    from authgate.clock import clock
    from authgate.mfa import factors, totp

    user = await make_user(registry)
    secret = totp.new_secret()
    code = totp.code_at(secret, int(clock.now()) // totp.STEP_SECONDS)
    fail_on(events.USER_TWO_FACTOR_METHOD_ADD)
    await _fails(factors.enable_totp(registry, user["id"], secret, code))
    assert await registry.db.mfa_methods.for_user(user["id"]) == []
    assert await registry.db.recovery_codes.remaining(user["id"]) == 0  # the first method's codes went too
    fail_on(events.WEBHOOK_CREATE)
    await _fails(webhooks.create(registry, {"url": "http://127.0.0.1:9/in", "global": True, "connectTimeout": 1000,
                                            "readTimeout": 1000, "eventsEnabled": {events.USER_CREATE: True}}))
    assert await registry.db.webhooks.list() == []
    assert await _types(registry) == []
