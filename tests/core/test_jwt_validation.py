"""/api/jwt/validate and the verifier behind it: RFC 8725 attacks refused."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

from joserfc import jwt as jose_jwt

from authgate.clock import clock
from tests.factories import make_application, make_user


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _token(client, registry):
    app = await make_application(registry)
    await make_user(registry, apps=[app])
    r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password", "applicationId": app["id"]})
    client.cookies.clear()
    return r.json()["token"]


async def _status(client, token):
    return (await client.get("/api/jwt/validate", headers={"Authorization": f"Bearer {token}"})).status_code


async def test_valid_token_from_header_or_cookie(client, registry):
    token = await _token(client, registry)
    assert await _status(client, token) == 200
    client.cookies.set("access_token", token)
    assert (await client.get("/api/jwt/validate")).status_code == 200
    client.cookies.clear()
    assert (await client.get("/api/jwt/validate")).status_code == 401


async def test_alg_none_and_tampered_payload_refused(client, registry):
    token = await _token(client, registry)
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["roles"] = ["admin"]
    assert await _status(client, f"{header}.{_b64(claims)}.{sig}") == 401
    none_header = {**json.loads(base64.urlsafe_b64decode(header + "==")), "alg": "none"}
    assert await _status(client, f"{_b64(none_header)}.{payload}.") == 401


async def test_hs256_signed_with_the_rsa_public_key_refused(client, registry):
    token = await _token(client, registry)
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
    pem = (await registry.keys.get(kid)).row["public_pem"]
    # The classic key-confusion forgery (joserfc itself refuses to build such a key, so do it by hand).
    signing_input = f'{_b64({"alg": "HS256", "typ": "JWT", "kid": kid})}.{_b64({"sub": "x", "iss": registry.issuer, "exp": int(clock.now()) + 60})}'
    mac = hmac.new(pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert await _status(client, forged) == 401


async def test_kid_injection_and_jku_ignored(client, registry):
    token = await _token(client, registry)
    header, payload, sig = token.split(".")
    h = json.loads(base64.urlsafe_b64decode(header + "=="))
    for kid in ["../../etc/passwd", "' OR '1'='1", "http://evil.example/key", "", None, 7, "x" * 500]:
        assert await _status(client, f"{_b64({**h, 'kid': kid})}.{payload}.{sig}") == 401
    # A jku header pointing elsewhere changes the signed header, so the signature no longer matches.
    assert await _status(client, f"{_b64({**h, 'jku': 'http://evil.example/jwks'})}.{payload}.{sig}") == 401


async def test_a_token_validated_before_is_refused_once_it_expires(client, registry):
    """The verdict on a token seen before is remembered, but never past its exp (plus the leeway)."""
    token = await _token(client, registry)
    assert await _status(client, token) == 200
    clock.advance(registry.settings.access_token_ttl_seconds + 3)  # inside the 5 s leeway
    assert await _status(client, token) == 200
    clock.advance(3)
    assert await _status(client, token) == 401
    clock.advance(-(registry.settings.access_token_ttl_seconds + 6))
    assert await _status(client, token) == 200


async def test_expired_wrong_issuer_and_oversized_refused(client, registry):
    token = await _token(client, registry)
    clock.advance(registry.settings.access_token_ttl_seconds + 10)
    assert await _status(client, token) == 401
    clock.advance(-(registry.settings.access_token_ttl_seconds + 10))
    key = await registry.keys.signing_key()
    other_iss = jose_jwt.encode({"alg": "RS256", "kid": key.kid},
                                {"sub": "x", "iss": "http://evil.example", "exp": int(clock.now()) + 60}, key.private)
    assert await _status(client, other_iss) == 401
    # A validly signed token with a critical header we do not understand (joserfc won't make one).
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signing_input = (f'{_b64({"alg": "RS256", "kid": key.kid, "crit": ["x-bank"], "x-bank": 1})}.'
                     f'{_b64({"sub": "x", "iss": registry.issuer, "exp": int(clock.now()) + 60})}')
    sig = key.private.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    crit = signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    assert await _status(client, crit) == 401
    assert await _status(client, "a" * 20000 + ".b.c") == 401
    assert await _status(client, "not a jwt") == 401


async def test_public_key_endpoint(client, registry):
    app = await make_application(registry)
    r = await client.get(f"/api/jwt/public-key?applicationId={app['id']}")
    assert r.status_code == 200 and r.json()["publicKey"].startswith("-----BEGIN PUBLIC KEY-----")
    keys = (await client.get("/api/jwt/public-key")).json()["publicKeys"]
    assert len(keys) == 1
    assert (await client.get("/api/jwt/public-key?kid=nope")).status_code == 404


async def test_rotation_keeps_old_key_published_until_its_tokens_expire(client, registry):
    token = await _token(client, registry)
    old_kids = {k["kid"] for k in (await registry.keys.jwks())["keys"]}
    new = await registry.keys.rotate()
    kids = {k["kid"] for k in (await registry.keys.jwks())["keys"]}
    assert kids == old_kids | {new.kid}
    assert await _status(client, token) == 200  # signed by the old key, still valid
    app = await make_application(registry, name="Forums")
    await make_user(registry, email="other@example.com", apps=[app])
    r = await client.post("/api/login", json={"loginId": "other@example.com", "password": "password", "applicationId": app["id"]})
    assert json.loads(base64.urlsafe_b64decode(r.json()["token"].split(".")[0] + "=="))["kid"] == new.kid
    clock.advance(registry.keys._max_ttl + 5)
    registry.keys.invalidate()
    assert {k["kid"] for k in (await registry.keys.jwks())["keys"]} == {new.kid}


async def test_rotation_keeps_the_old_key_as_long_as_the_longest_application_token_lives(client, registry):
    three_days = 3 * 86400
    app = await make_application(registry, name="Long", jwtConfiguration={"timeToLiveInSeconds": three_days})
    await make_user(registry, email="long@example.com", apps=[app])
    r = await client.post("/api/login", json={"loginId": "long@example.com", "password": "password", "applicationId": app["id"]})
    client.cookies.clear()
    token = r.json()["token"]
    await registry.keys.rotate()
    clock.advance(2 * 86400)
    registry.keys.invalidate()
    assert await _status(client, token) == 200
    clock.advance(86400 + 10)
    registry.keys.invalidate()
    assert await _status(client, token) == 401
