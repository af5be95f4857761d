"""Account lifecycle (core, no web framework): self-service sign-up, email verification, forgot /
reset / change password. The hosted pages (ui/) and FusionAuth's APIs (fusionauth/) call these.

Each rule has its file: `app_settings` (what an application allows), `links` (URLs in emails,
from the issuer only), `sign_out` (what a password change ends), `reset_password`,
`change_password`, `verify_email`, `sign_up`.
"""
from __future__ import annotations

from typing import Any


def event_user(user: dict[str, Any]) -> dict[str, Any]:
    """What an event (authgate.events) carries about the user: no password hash, nothing secret."""
    doc = user["doc"]
    return {"user": {"id": user["id"], "email": doc.get("email"), "username": doc.get("username"),
                     "verified": doc.get("verified", True), "active": user["active"]}}


class Refused(Exception):
    """A request the rules refuse; `field` and `code` are FusionAuth's (`[code]field`)."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


class Invalid(Exception):
    """Several fields refused at once (a form shows each error beside its field)."""

    def __init__(self, errors: list[Refused]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
