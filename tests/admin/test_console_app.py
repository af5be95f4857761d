"""The console's own application: created once however many nodes start at the same moment, and
given the callback of each issuer it is served under."""
from __future__ import annotations

import asyncio

from authgate.console import ADMIN_ROLE, CONSOLE_APP_ID, CONSOLE_APP_NAME, ensure_console_app, is_admin, make_admin
from authgate.registry import Registry
from tests.factories import make_user


async def test_nodes_starting_together_create_one_application(registry: Registry, backend: str) -> None:
    # On PostgreSQL two registries on one schema stand for two nodes (SQLite is one node's
    # database: there, tasks of one node race). The start-up already made the row once.
    assert await registry.db.applications.delete(CONSOLE_APP_ID)
    other = Registry(registry.settings) if backend == "postgres" else registry
    try:
        rows = await asyncio.gather(*(ensure_console_app(r) for r in (registry, other) for _ in range(4)))
    finally:
        if other is not registry:
            await other.close()
    assert {r["id"] for r in rows} == {CONSOLE_APP_ID}
    apps = [a for a in await registry.db.applications.list() if a["name"] == CONSOLE_APP_NAME]
    assert len(apps) == 1
    doc = apps[0]["doc"]
    assert [r["name"] for r in doc["roles"]] == [ADMIN_ROLE]
    assert doc["oauthConfiguration"]["authorizedRedirectURLs"] == [f"{registry.issuer}/admin/callback"]
    assert doc["oauthConfiguration"]["enabledGrants"] == ["authorization_code"]


async def test_another_issuer_adds_its_callback(registry: Registry) -> None:
    moved = Registry(registry.settings.with_overrides(issuer="https://login.example.com"))
    try:
        await ensure_console_app(moved)
        await ensure_console_app(moved)  # idempotent
    finally:
        await moved.close()
    uris = (await registry.db.applications.get(CONSOLE_APP_ID))["doc"]["oauthConfiguration"]["authorizedRedirectURLs"]
    assert uris == [f"{registry.issuer}/admin/callback", "https://login.example.com/admin/callback"]


async def test_make_admin_keeps_other_roles_and_inactive_users_are_not_admins(registry: Registry) -> None:
    user = await make_user(registry, "ops@example.com")
    assert not await is_admin(registry, user["id"])
    await registry.db.registrations.create(user["id"], CONSOLE_APP_ID, {"roles": ["auditor"]})
    await make_admin(registry, user["id"])
    await make_admin(registry, user["id"])
    assert (await registry.db.registrations.get(user["id"], CONSOLE_APP_ID))["doc"]["roles"] == ["admin", "auditor"]
    assert await is_admin(registry, user["id"])
    row = await registry.db.users.get(user["id"])
    assert await registry.db.users.replace(user["id"], {**row["doc"], "active": False}, None, row["version"])
    assert not await is_admin(registry, user["id"])


