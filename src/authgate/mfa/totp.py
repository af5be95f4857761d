"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s steps), as authenticator
apps and FusionAuth's "authenticator" method use them.

A code is matched against the current step and one step either side (RFC 6238 section 5.2:
network delay and clock drift), and only against steps newer than the last one accepted for the
method, so a code cannot be replayed inside its validity window (section 5.2, "MUST NOT accept
the second attempt of the same OTP").
"""
from __future__ import annotations

import base64
import hmac
import secrets

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
SECRET_BYTES = 20  # RFC 4226 section 4: 160 bits recommended


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def from_base32(text: str) -> bytes | None:
    """A base32 secret as users and FusionAuth send it (any case, optional padding), or None."""
    cleaned = text.replace(" ", "").upper().rstrip("=")
    if not cleaned or len(cleaned) > 128 or not cleaned.isascii() or not cleaned.isalnum():
        return None
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError:
        return None


def well_formed(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def code_at(secret: bytes, step: int) -> str:
    return pyotp.TOTP(base32(secret), digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def matching_step(secret: bytes, code: str, now: float, newer_than: int) -> int | None:
    """The time step whose code this is, if it is within the window and newer than `newer_than`."""
    if not well_formed(code):
        return None
    current = int(now) // STEP_SECONDS
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared, in constant time, so timing does not reveal which matched.
        if hmac.compare_digest(code_at(secret, step), code) and step > newer_than:
            found = step
    return found


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The `otpauth://` URI an authenticator app scans (Google's Key Uri Format)."""
    return pyotp.TOTP(base32(secret), digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)
