"""FusionAuth's webhook signature: header `X-FusionAuth-Signature-JWT`, a JWT (header `kid`) whose
claim `request_body_sha256` is the standard, padded Base64 of SHA-256 over the exact request body.

A receiver verifies it with the key from authgate's JWKS (`/.well-known/jwks.json`) named by the
`kid`, then compares the claim with its own hash of the body it received.
"""
from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from authgate.clock import clock
from authgate.tokens import jwt

if TYPE_CHECKING:
    from authgate.keys import KeyRing

HEADER = "X-FusionAuth-Signature-JWT"


def body_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


async def signature(keys: "KeyRing", body: bytes, key_id: str | None) -> str:
    """The header value, signed with `key_id` (or, when it is gone, the newest RS256 key)."""
    return await jwt.sign(keys, {"request_body_sha256": body_sha256(body), "iat": int(clock.now())}, key_id=key_id)
