"""Stored rows -> FusionAuth's JSON objects. Password hashes never leave through here."""
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
