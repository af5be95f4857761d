"""Direct-to-storage builders for test data (the admin APIs are tested on their own)."""
from __future__ import annotations

from typing import Any

from authgate.registry import Registry


async def make_application(reg: Registry, name: str = "Store", **doc: Any) -> dict[str, Any]:
    # Like the demo's SPAs: /api/login without an API key (FusionAuth's default requires one).
    body: dict[str, Any] = {"name": name, "loginConfiguration": {"generateRefreshTokens": True, "requireAuthentication": False}}
    body.update(doc)
    row = await reg.db.applications.create(body)
    reg.apps.invalidate()
    return row


async def make_user(reg: Registry, email: str = "richard@example.com", password: str = "password",
                    apps: list[dict[str, Any]] | None = None, roles: list[str] | None = None, **doc: Any) -> dict[str, Any]:
    user = await reg.db.users.create({"email": email, **doc}, await reg.hasher.hash(password))
    for app in apps or []:
        await reg.db.registrations.create(user["id"], app["id"], {"roles": roles or []})
    return user
