"""WebAuthn passkeys (W3C Web Authentication Level 2; py_webauthn does the cryptography).

The relying party is this IdP as configured: RP ID = the issuer's host, expected origin = the
issuer's origin (`AUTHGATE_ISSUER`), never the request's `Host`. Challenges are 32 random
bytes stored server-side (digest only) with an expiry and spent by the first response that
names them, good or bad (section 13.4.3: a challenge is used once). Registration asks for a
discoverable credential with user verification, so every passkey can log in alone. The
signature counter must move forward (section 6.1.1): a counter that stands still or goes back
means a cloned authenticator, and the assertion is refused.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options, generate_registration_options, options_to_json, verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor, ResidentKeyRequirement, UserVerificationRequirement,
)

from authgate import events
from authgate.clock import clock
from authgate.registry import Registry

log = logging.getLogger("authgate.passkeys")
REGISTER, LOGIN = "webauthn.register", "webauthn.login"
CONFIRM = "webauthn.confirm"  # a signed-in user confirming a change with a passkey (mfa/fresh.py)
MAX_CLIENT_DATA_BYTES = 2048  # real clientDataJSON is ~250 bytes
MAX_FIELD_CHARS = 16384  # attestation objects with certificate chains are a few KiB
MAX_NAME_CHARS = 100


class PasskeyRefused(Exception):
    """The response is not acceptable; `str(exc)` is for the log only."""


@dataclass(frozen=True)
class Passkey:
    id: str
    credential_id: str
    user_id: str
    name: str
    insert_instant: int
    doc: dict[str, Any]

    @classmethod
    def of(cls, row: dict[str, Any]) -> "Passkey":
        return cls(row["id"], row["credential_id"], row["user_id"], row["name"], row["insert_instant"], row["doc"])

    def public(self) -> dict[str, Any]:
        """FusionAuth's WebAuthnCredential, without the public key."""
        return {"id": self.id, "credentialId": self.credential_id, "userId": self.user_id, "name": self.name,
                "displayName": self.doc.get("displayName") or self.name, "insertInstant": self.insert_instant,
                "lastUseInstant": self.doc.get("lastUseInstant"), "transports": self.doc.get("transports") or [],
                "discoverable": True, "algorithm": self.doc.get("algorithm")}


@dataclass(frozen=True)
class Asserted:
    passkey: Passkey
    user_verified: bool  # py_webauthn has already required user presence (the UP flag)


def relying_party(reg: Registry) -> tuple[str, str]:
    """(RP ID, origin), both from the configured issuer."""
    parts = urlsplit(reg.issuer)
    return parts.hostname or "", f"{parts.scheme}://{parts.netloc}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: Any, limit: int = MAX_FIELD_CHARS) -> bytes:
    if not isinstance(text, str) or len(text) > limit:
        raise PasskeyRefused("field missing, not a string or too long")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PasskeyRefused("field is not base64url") from exc


def _challenge_of(credential: Any) -> str:
    """The challenge the browser signed, read from clientDataJSON (size-checked first)."""
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise PasskeyRefused("credential is not an object with a response")
    raw = _unb64url(credential["response"].get("clientDataJSON"), limit=4 * MAX_CLIENT_DATA_BYTES // 3 + 4)
    if len(raw) > MAX_CLIENT_DATA_BYTES:
        raise PasskeyRefused("clientDataJSON too large")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PasskeyRefused("clientDataJSON is not JSON") from exc
    challenge = data.get("challenge") if isinstance(data, dict) else None
    if not isinstance(challenge, str) or not 0 < len(challenge) <= 128:
        raise PasskeyRefused("clientDataJSON has no challenge")
    for name, value in credential["response"].items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise PasskeyRefused(f"response.{name} too long")
    return challenge


async def _new_challenge(reg: Registry, kind: str, user_id: str | None, doc: dict[str, Any]) -> bytes:
    challenge = secrets.token_bytes(32)
    await reg.db.mfa_challenges.create(b64url(challenge), kind, user_id, reg.settings.webauthn_timeout_seconds, doc)
    return challenge


async def for_user(reg: Registry, user_id: str) -> list[Passkey]:
    return [Passkey.of(r) for r in await reg.db.webauthn_credentials.for_user(user_id)]


async def registration_options(reg: Registry, user: dict[str, Any], name: str, display_name: str | None = None) -> dict[str, Any]:
    rp_id, _ = relying_party(reg)
    login_name = user.get("email") or user.get("username") or user["id"]
    name = (name or "Passkey").strip()[:MAX_NAME_CHARS] or "Passkey"
    challenge = await _new_challenge(reg, REGISTER, user["id"], {"name": name, "displayName": display_name})
    options = generate_registration_options(
        rp_id=rp_id, rp_name="authgate", user_name=login_name, user_id=user["id"].encode(),
        user_display_name=display_name or login_name, challenge=challenge,
        timeout=reg.settings.webauthn_timeout_seconds * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_unb64url(p.credential_id))
                             for p in await for_user(reg, user["id"])])
    return dict(json.loads(options_to_json(options)))


async def register(reg: Registry, user_id: str, credential: Any) -> Passkey:
    """Verify a registration response for this user and store the credential."""
    challenge = _challenge_of(credential)
    row = await reg.db.mfa_challenges.consume(challenge, REGISTER)
    if row is None or row["user_id"] != user_id:
        raise PasskeyRefused("unknown, expired or spent registration challenge")
    rp_id, origin = relying_party(reg)
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=_unb64url(challenge),
                                                expected_rp_id=rp_id, expected_origin=origin,
                                                require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(f"registration response invalid: {exc}") from exc
    credential_id = b64url(verified.credential_id)
    if await reg.db.webauthn_credentials.by_credential_id(credential_id) is not None:
        raise PasskeyRefused("credential already registered")
    transports = credential.get("transports") if isinstance(credential.get("transports"), list) else []
    stored = await reg.db.webauthn_credentials.create({
        "id": str(uuid.uuid4()), "credential_id": credential_id, "user_id": user_id,
        "public_key": b64url(verified.credential_public_key), "sign_count": verified.sign_count,
        "name": row["doc"].get("name") or "Passkey",
        "doc": {"displayName": row["doc"].get("displayName"), "aaguid": verified.aaguid, "fmt": verified.fmt,
                "transports": [t for t in transports if isinstance(t, str)][:8],
                "backedUp": verified.credential_backed_up}})
    log.info("user %s registered passkey %s", user_id, stored["id"])
    await events.emit(reg, events.USER_TWO_FACTOR_METHOD_ADD, user_id=user_id,
                      payload={"method": {"id": stored["id"], "method": "webauthn", "name": stored["name"]}})
    return Passkey.of(stored)


async def authentication_options(reg: Registry, user_id: str | None, *, passwordless: bool,
                                 kind: str = LOGIN) -> dict[str, Any]:
    """Options for navigator.credentials.get(). Without a user: a discoverable-credential request
    (empty allowCredentials), for "Sign in with a passkey" and conditional UI. `kind` keeps a
    challenge to its ceremony: an assertion made to confirm a change cannot sign in, and back."""
    rp_id, _ = relying_party(reg)
    allow = [PublicKeyCredentialDescriptor(id=_unb64url(p.credential_id)) for p in await for_user(reg, user_id)] \
        if user_id else []
    # The user goes in the document, not the foreign key: a login id nobody has still gets options
    # (an empty allow list, so the answer does not reveal who exists) that no credential satisfies.
    challenge = await _new_challenge(reg, kind, None, {"passwordless": passwordless, "userId": user_id})
    options = generate_authentication_options(
        rp_id=rp_id, challenge=challenge, timeout=reg.settings.webauthn_timeout_seconds * 1000,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED if passwordless else UserVerificationRequirement.PREFERRED)
    return dict(json.loads(options_to_json(options)))


async def authenticate(reg: Registry, credential: Any, kind: str = LOGIN) -> Asserted:
    """Verify an assertion against its stored challenge (of this `kind`) and credential; moves
    the counter."""
    challenge = _challenge_of(credential)
    row = await reg.db.mfa_challenges.consume(challenge, kind)
    if row is None:
        raise PasskeyRefused("unknown, expired or spent authentication challenge")
    raw_id = credential.get("rawId") or credential.get("id")
    _unb64url(raw_id, limit=1400)
    stored = await reg.db.webauthn_credentials.by_credential_id(raw_id.rstrip("="))
    if stored is None:
        raise PasskeyRefused("unknown credential id")
    if row["doc"].get("userId") not in (None, stored["user_id"]):
        raise PasskeyRefused("credential of another user than the challenge's")
    handle = credential["response"].get("userHandle")
    if handle and _unb64url(handle, limit=256) != stored["user_id"].encode():
        raise PasskeyRefused("userHandle does not match the credential's user")
    passwordless = bool(row["doc"].get("passwordless"))
    rp_id, origin = relying_party(reg)
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=_unb64url(challenge), expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=_unb64url(stored["public_key"]),
            credential_current_sign_count=stored["sign_count"], require_user_verification=passwordless)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyRefused(f"assertion invalid: {exc}") from exc
    doc = {**stored["doc"], "lastUseInstant": clock.now_ms()}
    if not await reg.db.webauthn_credentials.record_use(stored["id"], stored["sign_count"], verified.new_sign_count, doc):
        raise PasskeyRefused("signature counter moved concurrently")
    return Asserted(Passkey.of({**stored, "doc": doc}), verified.user_verified)


async def remove(reg: Registry, user_id: str, passkey_id: str) -> bool:
    removed = await reg.db.webauthn_credentials.remove(user_id, passkey_id)
    if removed:
        log.info("user %s removed passkey %s", user_id, passkey_id)
        await events.emit(reg, events.USER_TWO_FACTOR_METHOD_REMOVE, user_id=user_id,
                          payload={"method": {"id": passkey_id, "method": "webauthn"}})
    return removed


async def rename(reg: Registry, user_id: str, passkey_id: str, name: str) -> bool:
    name = name.strip()[:MAX_NAME_CHARS]
    return bool(name) and await reg.db.webauthn_credentials.rename(user_id, passkey_id, name)
