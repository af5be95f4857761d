"""The second-factor hot paths: a TOTP login (`/api/login` answering 242, then
`/api/two-factor/login`) and a passkey login (`/api/webauthn/start` + `/api/webauthn/login`),
each measured as logins/s and compared with the password login of the same run.

The passkey side needs an authenticator: `SoftAuthenticator` is one in software (W3C WebAuthn
Level 2, ES256 with `cryptography`, "none" attestation), one per connection, because the
signature counter must move forward on every assertion (section 6.1.1) and two connections
sharing a credential would race it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import struct
import time
from dataclasses import dataclass, field

import cbor2
import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench import authgate, loader
from bench.authgate import Provisioned
from bench.loader import LoadResult, build_request

JSON = "application/json"
STEP = 30  # RFC 6238 time step, as authgate/mfa/totp.py
FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- a software authenticator --------------------------------------------------------------

@dataclass
class SoftAuthenticator:
    """One discoverable ES256 credential for one user (user handle = the user's id, as authgate
    registers it), with user presence and verification always asserted."""

    user_id: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    counter: int = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # RFC 9053 / WebAuthn section 6.5.1.1: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
                          separators=(",", ":")).encode()

    def attestation(self, options: dict, origin: str) -> dict:
        """navigator.credentials.create()'s answer to registration `options`."""
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([FLAG_UP | FLAG_UV | FLAG_AT]) + struct.pack(">I", self.counter) + attested
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation_object),
                             "transports": ["internal"]},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}

    def assertion(self, challenge: str, rp_id: str, origin: str) -> dict:
        """navigator.credentials.get()'s answer: a fresh counter, signed authData || hash(clientData)."""
        self.counter += 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([FLAG_UP | FLAG_UV]) + struct.pack(">I", self.counter)
        client_data = self._client_data("webauthn.get", challenge, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": b64url(self.user_id.encode())},
                "clientExtensionResults": {}, "authenticatorAttachment": "platform"}


def issuer_origin(base_url: str) -> str:
    """The relying party's origin is the configured issuer's (authgate/mfa/passkeys.py)."""
    with httpx.Client(timeout=30) as client:
        issuer = client.get(base_url + "/.well-known/openid-configuration").json()["issuer"]
    parts = httpx.URL(issuer)
    return f"{parts.scheme}://{parts.netloc.decode()}"


def enrol_passkeys(p: Provisioned, count: int) -> list[tuple[str, SoftAuthenticator]]:
    """`count` new users, each with one passkey: [(login id, authenticator)]."""
    origin = issuer_origin(p.base_url)
    out = []
    with httpx.Client(timeout=60, headers={"Authorization": p.api_key}) as client:
        for login_id, user_id in authgate.provision_users(p, count, prefix="passkey"):
            options = authgate._check(client.post(p.base_url + "/api/webauthn/register/start", json={
                "userId": user_id, "name": "bench", "displayName": "bench"}), "webauthn register start")["options"]
            device = SoftAuthenticator(user_id)
            authgate._check(client.post(p.base_url + "/api/webauthn/register/complete", json={
                "userId": user_id, "credential": device.attestation(options, origin), "origin": origin,
                "rpId": options["rp"]["id"]}), "webauthn register complete")
            out.append((login_id, device))
    return out


class TwoStep:
    """Per connection: a first request, whose answer feeds the second; one login per pair.
    `logins` counts the second steps that succeeded inside the measured window."""

    def __init__(self, workers: int) -> None:
        self.state: list[dict | None] = [None] * workers
        self.logins = 0
        self.failed_first = 0
        self.stopped = 0

    def first(self, worker: int) -> bytes | None:
        raise NotImplementedError

    def second(self, worker: int, answer: dict) -> bytes | None:
        raise NotImplementedError

    def first_ok(self, status: int) -> bool:
        return status == 200

    def request(self, worker: int) -> bytes | None:
        pending = self.state[worker]
        if pending is None:
            raw = self.first(worker)
        else:
            raw = self.second(worker, pending)
        if raw is None:
            self.stopped += 1
        return raw

    def response(self, worker: int, status: int, body: bytes) -> bool:
        if self.state[worker] is None:
            if not self.first_ok(status):
                self.failed_first += 1
                return False
            self.state[worker] = json.loads(body)
            return True
        self.state[worker] = None
        if status == 200 and b'"token"' in body:
            self.logins += 1
            return True
        return False


class PasskeyLogins(TwoStep):
    def __init__(self, p: Provisioned, devices: list[tuple[str, SoftAuthenticator]], origin: str) -> None:
        super().__init__(len(devices))
        self.p, self.devices, self.origin = p, devices, origin
        self.starts = [build_request("POST", "/api/webauthn/start", content_type=JSON,
                                     headers={"Authorization": p.api_key}, body=json.dumps({
                                         "applicationId": p.application_id, "loginId": login_id}).encode())
                       for login_id, _ in devices]

    def first(self, worker: int) -> bytes | None:
        return self.starts[worker]

    def second(self, worker: int, answer: dict) -> bytes | None:
        options = answer["options"]
        credential = self.devices[worker][1].assertion(options["challenge"], options["rpId"], self.origin)
        return build_request("POST", "/api/webauthn/login", content_type=JSON, body=json.dumps({
            "credential": credential, "applicationId": self.p.application_id,
            "origin": self.origin, "rpId": options["rpId"]}).encode())


@dataclass
class Authenticator:
    """One TOTP method of a user, with the newest step the server has accepted for it."""

    login_id: str
    secret: bytes
    last_step: int


def totp_code(secret: bytes, step: int) -> str:
    import pyotp

    return pyotp.TOTP(base64.b32encode(secret).decode(), digits=6, interval=STEP).at(step * STEP)


def enrol_totp(p: Provisioned, users: int, methods: int = 2) -> list[Authenticator]:
    """`users` new users with `methods` authenticator apps each. Each enrolment spends the code
    of the previous step (accepted: one step either side), so this step's and the next one's
    codes stay usable: 2 logins per method per 30 s step, and more as steps go by."""
    out = []
    with httpx.Client(timeout=60, headers={"Authorization": p.api_key}) as client:
        for login_id, user_id in authgate.provision_users(p, users, prefix="totp"):
            for _ in range(methods):
                secret = os.urandom(20)
                for attempt in range(3):
                    # At a step boundary the previous step's code can fall out of the server's
                    # window between here and there (421): then this step's code is used.
                    step = int(time.time() // STEP) - (1 if attempt == 0 else 0)
                    answer = client.post(p.base_url + f"/api/user/two-factor/{user_id}", json={
                        "method": "authenticator", "secret": base64.b64encode(secret).decode(),
                        "code": totp_code(secret, step)})
                    if answer.status_code != 421:
                        break
                authgate._check(answer, "enable two-factor")
                out.append(Authenticator(login_id, secret, step))
    return out


class TotpLogins(TwoStep):
    """The password step (242 + twoFactorId), then a code of a method that has one unspent;
    a connection stops when no method has a usable code left (the note says so)."""

    def __init__(self, p: Provisioned, methods: list[Authenticator], workers: int) -> None:
        super().__init__(workers)
        self.p, self.methods = p, methods
        self.claimed: list[Authenticator | None] = [None] * workers
        self.exhausted = 0

    def _claim(self) -> tuple[Authenticator, int] | None:
        now = int(time.time() // STEP)
        for m in self.methods:
            step = max(m.last_step + 1, now)
            if step <= now + 1:
                m.last_step = step  # taken now, so two connections never hold the same code
                return m, step
        return None

    def first(self, worker: int) -> bytes | None:
        claim = self._claim()
        if claim is None:
            self.exhausted += 1
            return None
        self.claimed[worker] = claim[0]
        self._step = getattr(self, "_step", {})
        self._step[worker] = claim[1]
        return build_request("POST", "/api/login", content_type=JSON, body=json.dumps({
            "loginId": claim[0].login_id, "password": self.p.password,
            "applicationId": self.p.application_id}).encode())

    def first_ok(self, status: int) -> bool:
        return status == 242

    def second(self, worker: int, answer: dict) -> bytes | None:
        method = self.claimed[worker]
        assert method is not None
        return build_request("POST", "/api/two-factor/login", content_type=JSON, body=json.dumps({
            "twoFactorId": answer["twoFactorId"], "code": totp_code(method.secret, self._step[worker]),
            "applicationId": self.p.application_id}).encode())


def _run(p: Provisioned, work: TwoStep, concurrency: int, duration: float, warmup: float, cpu_probe) -> LoadResult:
    host, port = p.base_url.removeprefix("http://").split(":")
    loop = loader.new_event_loop()
    try:
        result = loop.run_until_complete(loader.run_load(host, int(port), work, concurrency=concurrency,
                                                         duration=duration, warmup=warmup, cpu_probe=cpu_probe))
    finally:
        loop.close()
    return result


def as_logins(result: LoadResult) -> LoadResult:
    """Two requests per login: logins/s is half the successful requests/s (both steps count as
    ok; a failed step is an error). Latency stays per request."""
    result.ok //= 2
    return result


def totp_users_needed(plan_seconds: float, concurrency: int, methods: int = 2, rate: float = 45.0) -> int:
    """Enough users for `rate` logins/s over the phase: each method gives ~2 codes per 30 s step."""
    return max(concurrency, math.ceil(rate * plan_seconds / (2 * methods)) + concurrency)


def totp_login(plan, p: Provisioned) -> tuple[LoadResult, str]:
    methods = enrol_totp(p, totp_users_needed(plan.duration + plan.warmup, plan.login_concurrency))
    work = TotpLogins(p, methods, plan.login_concurrency)
    result = as_logins(_run(p, work, plan.login_concurrency, plan.duration, plan.warmup, plan.cpu_probe))
    note = f"{len(methods)} authenticator methods on {len(methods) // 2} users"
    if work.exhausted:
        note += f"; {work.exhausted} connections ran out of unspent codes (figure is a floor)"
    return result, note


def passkey_login(plan, p: Provisioned) -> tuple[LoadResult, str]:
    devices = enrol_passkeys(p, plan.login_concurrency)
    work = PasskeyLogins(p, devices, issuer_origin(p.base_url))
    result = as_logins(_run(p, work, plan.login_concurrency, plan.duration, plan.warmup, plan.cpu_probe))
    return result, f"{len(devices)} software ES256 authenticators (one per connection, counters move)"
