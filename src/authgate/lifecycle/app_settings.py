"""What one application allows, read from its FusionAuth-shaped document with the global
settings as defaults:

- `registrationConfiguration` (FusionAuth's basic self-service registration): `enabled`,
  `type: "basic"`, `loginIdType` ("email", the default, or "username"), and per optional field
  `{enabled, required}` for firstName, middleName, lastName, fullName, mobilePhone, plus
  `confirmPassword`;
- `emailConfiguration.verifyEmail` and `emailConfiguration.unverified.behavior` ("Allow" or
  "Gated"), tenant settings in FusionAuth, per application here (default:
  `AUTHGATE_VERIFY_EMAIL`, `AUTHGATE_UNVERIFIED_BEHAVIOR`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.config import Settings

OPTIONAL_FIELDS = ("firstName", "middleName", "lastName", "fullName", "mobilePhone")
LABELS = {"firstName": "First name", "middleName": "Middle name", "lastName": "Last name", "fullName": "Full name",
          "mobilePhone": "Mobile phone"}


@dataclass(frozen=True)
class RegistrationForm:
    enabled: bool
    fields: tuple[tuple[str, bool], ...]  # (name, required) of the enabled optional fields, in order
    confirm_password: bool
    login_id_type: str = "email"  # "email" | "username": what the form asks for as the login id


def _obj(doc: dict[str, Any] | None, key: str) -> dict[str, Any]:
    value = (doc or {}).get(key)
    return value if isinstance(value, dict) else {}


def registration_form(app_doc: dict[str, Any] | None) -> RegistrationForm:
    cfg = _obj(app_doc, "registrationConfiguration")
    fields = []
    for name in OPTIONAL_FIELDS:
        field = cfg.get(name) if isinstance(cfg.get(name), dict) else {}
        if field.get("enabled") is True:
            fields.append((name, field.get("required") is True))
    return RegistrationForm(enabled=cfg.get("enabled") is True and cfg.get("type", "basic") == "basic",
                            fields=tuple(fields), confirm_password=cfg.get("confirmPassword") is True,
                            login_id_type="username" if cfg.get("loginIdType") == "username" else "email")


def verify_email(app_doc: dict[str, Any] | None, settings: Settings) -> bool:
    value = _obj(app_doc, "emailConfiguration").get("verifyEmail")
    return value if isinstance(value, bool) else settings.verify_email


def unverified_gated(app_doc: dict[str, Any] | None, settings: Settings) -> bool:
    """Whether an unverified user must verify before this application gets a token ("Gated")."""
    behavior = _obj(_obj(app_doc, "emailConfiguration"), "unverified").get("behavior")
    if not isinstance(behavior, str):
        behavior = settings.unverified_behavior
    return behavior.lower() == "gated" and verify_email(app_doc, settings)


def is_verified(user: dict[str, Any]) -> bool:
    """FusionAuth's `user.verified`; users from before verification existed count as verified."""
    return user["doc"].get("verified", True) is not False
