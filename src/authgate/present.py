"""Stored rows -> FusionAuth's JSON objects: what the APIs answer, what the console shows and what
events carry (webhook payloads are FusionAuth's). Password hashes, private keys and API key
values never leave through here."""
from __future__ import annotations

from typing import Any

_HIDDEN_USER_FIELDS = {"password", "encryptionScheme", "factor", "salt"}


def registration_json(row: dict[str, Any]) -> dict[str, Any]:
    doc = {k: v for k, v in row["doc"].items() if k not in ("id",)}
    return {
        **doc, "id": row["id"], "applicationId": row["application_id"], "roles": list(doc.get("roles") or []),
        "verified": doc.get("verified", True), "usernameStatus": doc.get("usernameStatus", "ACTIVE"),
        "insertInstant": row["insert_instant"], "lastUpdateInstant": row["last_update_instant"],
    }


def user_json(row: dict[str, Any], registrations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc = {k: v for k, v in row["doc"].items() if k not in _HIDDEN_USER_FIELDS}
    out = {
        **doc, "id": row["id"], "active": row["active"], "verified": doc.get("verified", True),
        "passwordChangeRequired": doc.get("passwordChangeRequired", False),
        "insertInstant": row["insert_instant"], "lastUpdateInstant": row["last_update_instant"],
        "tenantId": doc.get("tenantId", "00000000-0000-0000-0000-000000000001"),
    }
    if registrations is not None:
        out["registrations"] = [registration_json(r) for r in registrations]
    return out


def application_json(row: dict[str, Any]) -> dict[str, Any]:
    doc = dict(row["doc"])
    oauth = dict(doc.get("oauthConfiguration") or {})
    oauth["clientId"] = row["id"]
    return {**doc, "id": row["id"], "name": row["name"], "active": row["active"], "oauthConfiguration": oauth,
            "insertInstant": row["insert_instant"], "lastUpdateInstant": row["last_update_instant"]}


_KEY_TYPES = {"RS256": "RSA", "ES256": "EC", "HS256": "HMAC"}


def key_json(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"], "kid": row["id"], "algorithm": row["algorithm"], "name": row["name"],
                           "type": _KEY_TYPES.get(row["algorithm"], row["algorithm"]), "insertInstant": row["insert_instant"]}
    if row.get("public_pem"):
        out["publicKey"] = row["public_pem"]
    if row.get("retire_instant"):
        out["retireInstant"] = row["retire_instant"]  # authgate addition: published until then
    return out


def api_key_json(row: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    doc = row["doc"]
    out = {"id": row["id"], "permissions": doc.get("permissions") or {"endpoints": {}},
           "metaData": doc.get("metaData") or {}, "insertInstant": row["insert_instant"]}
    if key is not None:
        out["key"] = key
    return out


def audit_json(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"], "insertInstant": row["insert_instant"], "insertUser": row["insert_user"],
        "message": row["message"], "data": row["data"],
        # ours: the event behind the entry
        "eventType": row["event_type"], "actor": {"type": row["actor_kind"], "id": row["actor_id"]},
    }
    for key, column in (("reason", None), ("userId", "user_id"), ("applicationId", "application_id"),
                        ("ipAddress", "ip_address"), ("userAgent", "user_agent")):
        value = row["data"].get("reason") if column is None and isinstance(row["data"], dict) else row.get(column or "")
        if value is not None:
            out[key] = value
    return out


def login_json(row: dict[str, Any], app_names: dict[str, str | None]) -> dict[str, Any]:
    out = {"userId": row["user_id"], "instant": row["instant"], "loginId": row["login_id"],
           "ipAddress": row["ip_address"], "userAgent": row["user_agent"]}
    if row["application_id"]:
        out["applicationId"] = row["application_id"]
        if app_names.get(row["application_id"]):
            out["applicationName"] = app_names[row["application_id"]]
    return {k: v for k, v in out.items() if v is not None}
