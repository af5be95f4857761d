"""Applications (also the OAuth clients: client_id == id): validation, authgate's defaults, create,
update, deactivate and delete, with their revocations and events -- for the FusionAuth
Application API, the admin console and the CLI alike.

Defaults differ from FusionAuth on purpose (tokens/policy.py): refresh tokens rotate
(`OneTimeUse`), PKCE is `Required`, and the implicit grant is off unless listed. A client secret
is generated when none is given and kept across updates that omit it; so is
`oauthConfiguration.requireRegistration`, which new applications get on (accounts.py).
"""
from __future__ import annotations

import secrets
import uuid
from typing import Any, Protocol
from urllib.parse import urlsplit

from authgate import events, revocation
from authgate.errors import MAX_UPDATE_ATTEMPTS, conflict, field_error, not_found
from authgate.field_errors import Errors
from authgate.mfa import policy as mfa_policy
from authgate.present import application_json
from authgate.registry import Registry
from authgate.shapes import ListOf, Shape
from authgate.storage.repos import Conflict
from authgate.tokens.grant_types import DEFAULT_GRANTS, GRANT_TYPES


class OriginCache(Protocol):
    """A process's cache of the applications' CORS origins (web/middleware.py's OriginCache)."""

    def invalidate(self) -> None: ...


GRANTS = GRANT_TYPES  # the console lists them too
_ENUMS = {
    ("oauthConfiguration", "proofKeyForCodeExchangePolicy"): ("Required", "NotRequired", "NotRequiredWhenUsingClientAuthentication"),
    ("jwtConfiguration", "refreshTokenUsagePolicy"): ("Reusable", "OneTimeUse"),
    ("jwtConfiguration", "refreshTokenExpirationPolicy"): ("Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"),
    ("multiFactorConfiguration", "loginPolicy"): mfa_policy.POLICIES,  # authgate/mfa/policy.py
}
# Token lifetimes: positive and bounded, so `now + ttl` stays a sane instant that every database
# column and JWT library can hold (10**18 seconds overflowed at login, a 500, not a 400 here).
MAX_ACCESS_TTL_SECONDS = 365 * 24 * 3600
MAX_REFRESH_TTL_MINUTES = 10 * 365 * 24 * 60
_LIFETIMES = ((("jwtConfiguration",), "timeToLiveInSeconds", MAX_ACCESS_TTL_SECONDS),
              (("jwtConfiguration",), "refreshTokenTimeToLiveInMinutes", MAX_REFRESH_TTL_MINUTES),
              (("jwtConfiguration", "refreshTokenSlidingWindowConfiguration"), "maximumTimeToLiveInMinutes",
               MAX_REFRESH_TTL_MINUTES))
_BOOLS = (("oauthConfiguration", "requireClientAuthentication"), ("oauthConfiguration", "requireRegistration"), ("loginConfiguration", "generateRefreshTokens"),
          ("loginConfiguration", "requireAuthentication"), ("jwtConfiguration", "enabled"))
P = "application"


def _section(name: str, **more: Any) -> Shape:
    """A configuration section's declared fields, from the rule tables above plus `more`."""
    fields: dict[str, Any] = {key: bool for section, key in _BOOLS if section == name}
    fields.update({key: str for (section, key) in _ENUMS if section == name})
    fields.update({key: int for path, key, _ in _LIFETIMES if path == (name,)})
    fields.update(more)
    return Shape(fields, enums={key: allowed for (section, key), allowed in _ENUMS.items() if section == name})


ROLE = Shape({"name": str, "description": str, "isDefault": bool, "isSuperRole": bool}, required=("name",))
# What validate() checks the JSON types of, and what the OpenAPI document says: one declaration.
APPLICATION = Shape({
    "name": str, "active": bool, "roles": list,
    "oauthConfiguration": _section("oauthConfiguration", authorizedRedirectURLs=ListOf(str),
                                   authorizedOriginURLs=ListOf(str), enabledGrants=ListOf(str), clientSecret=str),
    "jwtConfiguration": _section("jwtConfiguration", accessTokenKeyId=str, idTokenKeyId=str,
                                 refreshTokenSlidingWindowConfiguration=Shape({"maximumTimeToLiveInMinutes": int})),
    "loginConfiguration": _section("loginConfiguration"),
    "multiFactorConfiguration": _section("multiFactorConfiguration"),
}, required=("name",), description="A FusionAuth Application (also the OAuth client; its id is the client_id).")


def _url_ok(value: Any, *, origin: bool) -> bool:
    """Absolute http(s) URL without a fragment; an origin additionally has no path, query or userinfo."""
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or "#" in value or parts.username is not None:
        return False
    return not origin or (parts.path in ("", "/") and not parts.query)


async def validate(reg: Registry, app: dict[str, Any]) -> dict[str, Any]:
    """Check an application object and fill in authgate's defaults; returns the document to store."""
    errors = Errors()
    errors.extend(APPLICATION.problems(app, P))
    name = errors.typed(app, "name", str, P)
    if not (isinstance(name, str) and name.strip()):
        errors.add(f"{P}.name", "blank", "You must specify the [name] field.")
    errors.typed(app, "active", bool, P)
    sections = {}
    for section in ("oauthConfiguration", "jwtConfiguration", "loginConfiguration", "multiFactorConfiguration"):
        sections[section] = errors.typed(app, section, dict, P) or {}
    oauth, jwt = sections["oauthConfiguration"], sections["jwtConfiguration"]
    for (section, key), allowed in _ENUMS.items():
        value = sections[section].get(key)
        if value is not None and value not in allowed:
            errors.add(f"{P}.{section}.{key}", "invalid", f"[{key}] must be one of {', '.join(allowed)}.")
    _check_lifetimes(sections, errors)
    for section, key in _BOOLS:
        errors.typed(sections[section], key, bool, f"{P}.{section}")
    for key, origin in (("authorizedRedirectURLs", False), ("authorizedOriginURLs", True)):
        urls = errors.typed(oauth, key, list, f"{P}.oauthConfiguration")
        if urls and not all(_url_ok(u, origin=origin) for u in urls):
            what = "origins (scheme://host[:port])" if origin else "absolute http(s) URLs without a fragment"
            errors.add(f"{P}.oauthConfiguration.{key}", "invalid", f"Every entry of [{key}] must be {what}.")
    grants = errors.typed(oauth, "enabledGrants", list, f"{P}.oauthConfiguration")
    if grants and not all(g in GRANTS for g in grants):
        errors.add(f"{P}.oauthConfiguration.enabledGrants", "invalid", f"[enabledGrants] may contain only {', '.join(GRANTS)}.")
    errors.typed(oauth, "clientSecret", str, f"{P}.oauthConfiguration")
    for key in ("accessTokenKeyId", "idTokenKeyId"):
        kid = errors.typed(jwt, key, str, f"{P}.jwtConfiguration")
        if kid and (len(kid) > 64 or await reg.db.signing_keys.get(kid) is None):
            errors.add(f"{P}.jwtConfiguration.{key}", "invalid", f"The [{key}] does not identify a key.")
    roles = _validate_roles(app.get("roles"), errors)
    errors.raise_if_any()
    doc = {k: v for k, v in app.items() if k not in ("id", "insertInstant", "lastUpdateInstant")}
    doc["name"] = name.strip()
    doc["roles"] = roles
    doc["oauthConfiguration"] = {"enabledGrants": list(DEFAULT_GRANTS),
                                 "proofKeyForCodeExchangePolicy": "Required", "requireClientAuthentication": True, **oauth}
    doc["oauthConfiguration"].pop("clientId", None)  # always the application id
    doc["jwtConfiguration"] = {"refreshTokenUsagePolicy": "OneTimeUse", "refreshTokenExpirationPolicy": "Fixed", **jwt}
    doc["loginConfiguration"] = sections["loginConfiguration"]
    return doc


def _check_lifetimes(sections: dict[str, Any], errors: Errors) -> None:
    for path, key, most in _LIFETIMES:
        obj, prefix = sections[path[0]], f"{P}.{path[0]}"
        for name in path[1:]:
            obj, prefix = errors.typed(obj, name, dict, prefix) or {}, f"{prefix}.{name}"
        value = errors.typed(obj, key, int, prefix)
        if isinstance(value, int) and not 0 < value <= most:
            errors.add(f"{prefix}.{key}", "invalid", f"[{key}] must be between 1 and {most}.")


def _validate_roles(roles: Any, errors: Errors) -> list[dict[str, Any]]:
    if roles is None:
        return []
    if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
        errors.add(f"{P}.roles", "invalid", "[roles] must be a list of role objects.")
        return []
    names = [r.get("name") for r in roles]
    if not all(isinstance(n, str) and n.strip() for n in names):
        errors.add(f"{P}.roles", "blank", "Every role needs a [name].")
    elif len(set(names)) != len(names):
        errors.add(f"{P}.roles", "duplicate", "Role names must be unique.")
    return [{"isDefault": False, "isSuperRole": False, **r, "id": r.get("id") or str(uuid.uuid4())} for r in roles]


def _written(reg: Registry, origins: OriginCache | None, app_id: str) -> None:
    """Every node re-reads within its cache TTL; this node forgets at once."""
    reg.apps.invalidate(app_id)
    if origins is not None:
        origins.invalidate()


async def load(reg: Registry, app_id: str) -> dict[str, Any]:
    row = await reg.db.applications.get(app_id)
    if row is None:
        raise not_found("application")
    return row


async def create_application(reg: Registry, app: dict[str, Any], app_id: str | None,
                             origins: OriginCache | None) -> dict[str, Any]:
    """Validate and store a new application (the API's POST and the admin console's form)."""
    doc = await validate(reg, app)
    doc["oauthConfiguration"].setdefault("clientSecret", secrets.token_urlsafe(32))
    # Ours: only registered users get a new application's tokens unless it says otherwise
    # (accounts.token_refusal); an update never adds it, so existing applications keep their rule.
    doc["oauthConfiguration"].setdefault("requireRegistration", True)
    try:
        row = await reg.db.applications.create(doc, app_id)
    except Conflict:
        raise field_error("applicationId", "duplicate", "An application with this id already exists.") from None
    _written(reg, origins, row["id"])
    created = await load(reg, row["id"])
    await events.emit(reg, events.APPLICATION_CREATE, application_id=row["id"],
                      payload={"application": application_json(created)})
    return created


async def update_application(reg: Registry, app_id: str, change: Any, origins: OriginCache | None) -> dict[str, Any]:
    """`change(doc) -> doc`, then validate and store: compare-and-set on `version`, re-reading and
    retrying when another write came first. The API's PUT/PATCH and the admin console call it."""
    for _ in range(MAX_UPDATE_ATTEMPTS):
        row = await load(reg, app_id)
        doc = await validate(reg, change(row["doc"]))
        doc.setdefault("active", row["active"])  # a PUT without `active` must not undo a soft delete
        old_secret = (row["doc"].get("oauthConfiguration") or {}).get("clientSecret")
        doc["oauthConfiguration"].setdefault("clientSecret", old_secret or secrets.token_urlsafe(32))
        required = (row["doc"].get("oauthConfiguration") or {}).get("requireRegistration")
        if required is not None:  # like the secret, kept by an update that omits it
            doc["oauthConfiguration"].setdefault("requireRegistration", required)
        if await reg.db.applications.replace(app_id, doc, row["version"]):
            _written(reg, origins, app_id)
            updated = await load(reg, app_id)
            if row["active"] and doc["active"] is False:  # deactivated: its tokens stop working
                await revocation.revoke_application(reg, app_id)
            await events.emit(reg, events.APPLICATION_UPDATE, application_id=app_id,
                              payload={"application": application_json(updated), "original": application_json(row)})
            return updated
    raise conflict()


async def delete_application(reg: Registry, aid: str, *, hard: bool, origins: OriginCache | None) -> None:
    """Remove (hard) or deactivate an application; the API's DELETE and the admin console call it."""
    if hard:
        row = await load(reg, aid)
        if not await reg.db.applications.delete(aid):
            raise not_found("application")
        _written(reg, origins, aid)
        await revocation.revoke_application(reg, aid)  # the refresh tokens cascaded; the access tokens
        await events.emit(reg, events.APPLICATION_DELETE, application_id=aid,
                          payload={"application": application_json(row), "hardDelete": True})
        return
    await update_application(reg, aid, lambda doc: {**doc, "active": False}, origins)  # revokes its tokens
    await events.emit(reg, events.APPLICATION_DELETE, application_id=aid, payload={"hardDelete": False})


async def add_role(reg: Registry, app_id: str, role: dict[str, Any], origins: OriginCache | None) -> dict[str, Any]:
    """A new role of the application (the Application API's role create); returns it as stored."""
    name = role.get("name")
    if not isinstance(name, str) or not name.strip():
        raise field_error("role.name", "blank", "You must specify the [name] field.")
    row = await load(reg, app_id)
    if any(r.get("name") == name for r in row["doc"].get("roles") or []):
        raise field_error("role.name", "duplicate", "The application already has a role with this name.")
    role = {**role, "id": role.get("id") or str(uuid.uuid4())}
    await update_application(reg, app_id, lambda doc: {**doc, "roles": [*(doc.get("roles") or []), role]}, origins)
    return next(r for r in (await load(reg, app_id))["doc"]["roles"] if r["id"] == role["id"])
