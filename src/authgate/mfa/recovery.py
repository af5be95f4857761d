"""Recovery codes: ten single-use codes given when the first method is enrolled, for a user who
lost their authenticator. Shown once; only digests are stored (storage/repos/mfa.py)."""
from __future__ import annotations

import secrets

COUNT = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by people
_HALF = 5  # "XXXXX-XXXXX": 50 bits


def generate() -> list[str]:
    return ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(_HALF)) for _ in range(2)) for _ in range(COUNT)]


def normalise(text: str) -> str | None:
    """What a person typed, in the stored form, or None if it cannot be a recovery code."""
    raw = text.replace("-", "").replace(" ", "").upper()
    if len(raw) != 2 * _HALF or any(c not in _ALPHABET for c in raw):
        return None
    return f"{raw[:_HALF]}-{raw[_HALF:]}"
