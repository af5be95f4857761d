"""The admin console's own application, and the rule of who is an administrator.

The console (`authgate/admin/`) is an OAuth client of authgate itself, like Keycloak's: at start-up
every node makes sure the application `authgate admin console` exists, with an `admin` role and
the redirect URI `{issuer}/admin/callback`. Its id is fixed, so nodes starting at once race on one
primary key and exactly one insert wins. An administrator is an active user registered to that
application with the `admin` role; nothing else grants access.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from authgate.accounts import usable
from authgate.registry import Registry
from authgate.storage.repos import Conflict

log = logging.getLogger("authgate.console")

CONSOLE_APP_ID = "6d7e1f2a-0c4b-4d2e-9a6f-a11c0de5c0de"
CONSOLE_APP_NAME = "authgate admin console"
ADMIN_ROLE = "admin"
CALLBACK_PATH = "/admin/callback"
_ROLE_ID = "9b3f6c1e-5a2d-4f7b-8c0e-a11c0de5c0de"
_ATTEMPTS = 8


def callback_uri(reg: Registry) -> str:
    """Built from the configured issuer, never from a request's Host."""
    return reg.issuer + CALLBACK_PATH


def _new_doc(reg: Registry) -> dict[str, Any]:
    return {
        "name": CONSOLE_APP_NAME,
        "roles": [{"id": _ROLE_ID, "name": ADMIN_ROLE, "description": "May use the admin console.",
                   "isDefault": False, "isSuperRole": True}],
        # Code + PKCE only; the console keeps its own server-side session, so no refresh tokens.
        "oauthConfiguration": {"authorizedRedirectURLs": [callback_uri(reg)], "enabledGrants": ["authorization_code"],
                               "clientSecret": secrets.token_urlsafe(32), "requireClientAuthentication": True,
                               "proofKeyForCodeExchangePolicy": "Required",
                               # The console itself refuses non-admins, with its 403 page.
                               "requireRegistration": False},
        "jwtConfiguration": {"timeToLiveInSeconds": 300, "refreshTokenUsagePolicy": "OneTimeUse",
                             "refreshTokenExpirationPolicy": "Fixed"},
        "loginConfiguration": {"generateRefreshTokens": False},
        "registrationConfiguration": {"enabled": False},
    }


async def ensure_console_app(reg: Registry) -> dict[str, Any]:
    """Create the console's application if missing; add this issuer's callback if absent. Idempotent."""
    for attempt in range(_ATTEMPTS):
        row = await reg.db.applications.get(CONSOLE_APP_ID)
        if row is None:
            try:
                row = await reg.db.applications.create(_new_doc(reg), CONSOLE_APP_ID)
                log.info("created the application %r (%s)", CONSOLE_APP_NAME, CONSOLE_APP_ID)
            except Conflict:
                # Another node (or task) created it at the same moment; its commit may still be
                # on its way, so wait a moment before reading theirs.
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            reg.apps.invalidate(CONSOLE_APP_ID)
            return row
        oauth = row["doc"].get("oauthConfiguration") or {}
        uris = list(oauth.get("authorizedRedirectURLs") or [])
        if callback_uri(reg) in uris:
            return row
        doc = {**row["doc"], "oauthConfiguration": {**oauth, "authorizedRedirectURLs": [*uris, callback_uri(reg)]}}
        if await reg.db.applications.replace(CONSOLE_APP_ID, doc, row["version"]):
            reg.apps.invalidate(CONSOLE_APP_ID)
            log.info("added %s to the console's redirect URIs", callback_uri(reg))
            return {**row, "doc": doc, "version": row["version"] + 1}
    raise RuntimeError("could not create or update the admin console's application")


async def is_admin(reg: Registry, user_id: str) -> bool:
    user, registration = await reg.db.users.get_with_registration(user_id, CONSOLE_APP_ID)
    if not usable(user) or registration is None:
        return False
    return ADMIN_ROLE in ((registration["doc"] or {}).get("roles") or [])


async def make_admin(reg: Registry, user_id: str) -> None:
    """Register the user to the console with the admin role (keeping any other roles)."""
    await ensure_console_app(reg)
    for _ in range(_ATTEMPTS):
        registration = await reg.db.registrations.get(user_id, CONSOLE_APP_ID)
        if registration is None:
            try:
                await reg.db.registrations.create(user_id, CONSOLE_APP_ID, {"roles": [ADMIN_ROLE]})
                return
            except Conflict:
                continue
        roles = sorted({*((registration["doc"] or {}).get("roles") or []), ADMIN_ROLE})
        await reg.db.registrations.update_doc(user_id, CONSOLE_APP_ID, {**registration["doc"], "roles": roles})
        return
    raise RuntimeError(f"could not make {user_id} an administrator")
