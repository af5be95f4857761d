"""A software WebAuthn authenticator for HTTP-level tests (the browser tests use Chromium's virtual
authenticator instead): ES256, attestation "none", and knobs to build every malformed response."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SoftKey:
    rp_id: str
    origin: str
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    counter: int = 0
    user_handle: bytes = b""

    def _cose(self) -> bytes:
        nums = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def register(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
                 challenge: str | None = None, flags: int = UP | UV | AT, attestation: bytes | None = None) -> dict[str, Any]:
        self.user_handle = base64.urlsafe_b64decode(options["user"]["id"] + "==")
        auth_data = (hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags])
                     + struct.pack(">I", self.counter) + bytes(16) + struct.pack(">H", len(self.credential_id))
                     + self.credential_id + self._cose())
        att = attestation if attestation is not None else cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cdj = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"attestationObject": b64url(att), "clientDataJSON": b64url(cdj), "transports": ["internal"]},
                "clientExtensionResults": {}, "transports": ["internal"]}

    def assert_(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
                challenge: str | None = None, flags: int = UP | UV, counter: int | None = None,
                credential_id: bytes | None = None, client_data: bytes | None = None) -> dict[str, Any]:
        if counter is None:
            self.counter += 1
            counter = self.counter
        auth_data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
        cdj = client_data if client_data is not None else self._client_data(
            "webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(auth_data + hashlib.sha256(cdj).digest(), ec.ECDSA(hashes.SHA256()))
        cid = credential_id or self.credential_id
        return {"id": b64url(cid), "rawId": b64url(cid), "type": "public-key",
                "response": {"authenticatorData": b64url(auth_data), "clientDataJSON": b64url(cdj),
                             "signature": b64url(signature), "userHandle": b64url(self.user_handle)},
                "clientExtensionResults": {}}
