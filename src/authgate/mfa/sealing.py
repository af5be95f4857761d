"""TOTP secrets at rest: sealed with AES-256-GCM under `AUTHGATE_MFA_SECRET_KEY` when it is set,
so a copy of the database alone does not let anyone mint codes. The user id is the associated
data: a sealed secret copied to another user's row does not open.

Without the setting secrets are stored unsealed (marked `plain:`), and sealed ones are refused:
an operator who loses the key must re-enrol users, not silently accept anything.
"""
from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_SEALED, _PLAIN = "v1:", "plain:"


def _key(setting: str) -> bytes:
    return hashlib.sha256(setting.encode()).digest()  # any operator-chosen string -> 256 bits


def seal(secret: bytes, user_id: str, key_setting: str) -> str:
    if not key_setting:
        return _PLAIN + base64.b64encode(secret).decode()
    nonce = os.urandom(12)
    box = AESGCM(_key(key_setting)).encrypt(nonce, secret, user_id.encode())
    return _SEALED + base64.b64encode(nonce + box).decode()


def open_sealed(stored: str, user_id: str, key_setting: str) -> bytes:
    if stored.startswith(_PLAIN):
        return base64.b64decode(stored[len(_PLAIN):])
    if not key_setting:
        raise ValueError("a sealed TOTP secret needs AUTHGATE_MFA_SECRET_KEY")
    raw = base64.b64decode(stored[len(_SEALED):])
    return AESGCM(_key(key_setting)).decrypt(raw[:12], raw[12:], user_id.encode())
