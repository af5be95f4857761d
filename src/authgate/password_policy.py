"""Password rules, applied wherever a password is set: the admin user API (create, update,
import of plain passwords), self-service registration, forgot-password reset and change.

- length between `AUTHGATE_PASSWORD_MIN_LENGTH` (8, NIST SP 800-63B s3.1.1.2) and
  `AUTHGATE_PASSWORD_MAX_LENGTH` (256: bounds the work of one argon2 call), counted in characters;
- with `AUTHGATE_PASSWORD_REJECT_COMMON` (on by default), none of the 10,000 most common
  passwords, compared case-insensitively (SP 800-63B: "passwords obtained from previous breach
  corpuses"); the list and its source: `authgate/data/README.md`.
No composition rules (SP 800-63B advises against them). Violations use FusionAuth's codes
(`[tooShort]user.password`, `[breachedCommonPassword]user.password`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from authgate.config import Settings

_LIST = Path(__file__).parent / "data" / "common-passwords.txt"


@dataclass(frozen=True)
class Violation:
    code: str  # FusionAuth's error code, without the field: "tooShort"
    message: str


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return frozenset(line.strip() for line in _LIST.read_text(encoding="utf-8").splitlines() if line.strip())


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()


def check(password: str, settings: Settings) -> Violation | None:
    """The first rule the password breaks, or None."""
    if len(password) < settings.password_min_length:
        return Violation("tooShort", f"The password must be at least {settings.password_min_length} characters.")
    if len(password) > settings.password_max_length:
        return Violation("tooLong", f"The password must be at most {settings.password_max_length} characters.")
    if settings.password_reject_common and is_common(password):
        return Violation("breachedCommonPassword",
                         "This password is one of the most commonly used passwords. Choose another one.")
    return None
