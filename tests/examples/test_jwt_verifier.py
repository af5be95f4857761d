"""The JWT verifier alone: every way a token can be wrong, and how the JWKS cache behaves."""
from __future__ import annotations

import httpx
import pytest
from joserfc.jwk import RSAKey

from authgate_demo.apps.common.jwt_verifier import JwksCache, JwtVerifier, TokenRejected, http_jwks_fetcher

from .conftest import _EC, _RSA, FORUMS_CLIENT, IDP_INTERNAL, ISSUER, STORE_CLIENT, USER_ID, FakeIdP, unsigned


class Monotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def verifier(idp: FakeIdP, clock):
    http = httpx.AsyncClient(transport=httpx.MockTransport(idp.handler))
    mono = Monotonic()
    jwks = JwksCache(http_jwks_fetcher(http, IDP_INTERNAL + "/.well-known/jwks.json"), min_interval=5, monotonic=mono)
    v = JwtVerifier(jwks, issuer=ISSUER, audience=STORE_CLIENT, leeway=30, clock=clock)
    v.mono = mono  # type: ignore[attr-defined]
    yield v
    await http.aclose()


async def test_valid_rs256_and_es256_tokens_give_claims(verifier, idp):
    assert (await verifier.verify(idp.mint()))["sub"] == USER_ID
    assert (await verifier.verify(idp.mint(key=_EC, alg="ES256")))["sub"] == USER_ID


async def test_audience_may_be_a_list(verifier, idp):
    assert (await verifier.verify(idp.mint(aud=["other", STORE_CLIENT])))["sub"] == USER_ID


@pytest.mark.parametrize("make, message", [
    (lambda idp: idp.mint(aud=FORUMS_CLIENT), "issued for another application"),
    (lambda idp: idp.mint(iss="http://evil.example"), "not valid here"),
    (lambda idp: idp.mint(exp_in=-3600), "expired"),
    (lambda idp: idp.mint(nbf=int(idp.clock()) + 3600), "not valid here"),
    (lambda idp: idp.mint()[:-6] + "AAAAAA", "signature or format"),
    (lambda idp: "not-a-jwt", "malformed"),
    (lambda idp: "a.b.c.d.e", "malformed"),
    (lambda idp: "!!!.e30.sig", "malformed"),
    (lambda idp: idp.mint(cnf={"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}), "bound to a DPoP key"),
    # an id_token (OpenID Connect: typ JWT) or an untyped JWT is no access token (RFC 9068 section 4)
    (lambda idp: idp.mint(header={"typ": "JWT"}, nonce="n", at_hash="x"), "not an access token"),
    (lambda idp: idp.mint(header={"typ": "JOSE"}), "not an access token"),
])
async def test_bad_tokens_are_rejected(verifier, idp, make, message):
    with pytest.raises(TokenRejected, match=message):
        await verifier.verify(make(idp))


async def test_tampered_payload_fails_the_signature(verifier, idp):
    header, payload, sig = idp.mint().split(".")
    other_header, other_payload, _ = idp.mint(sub="someone-else").split(".")
    with pytest.raises(TokenRejected, match="signature"):
        await verifier.verify(f"{header}.{other_payload}.{sig}")


async def test_small_clock_skew_is_tolerated(verifier, idp):
    assert await verifier.verify(idp.mint(exp_in=-10))  # 10 s late, within the 30 s leeway


async def test_expired_is_flagged_as_expired(verifier, idp):
    with pytest.raises(TokenRejected) as info:
        await verifier.verify(idp.mint(exp_in=-120))
    assert info.value.expired and info.value.description == "The access token expired"


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "RS512", "PS256", None])
async def test_algorithms_outside_the_allowlist_are_refused(verifier, idp, alg):
    token = unsigned({"iss": ISSUER, "aud": STORE_CLIENT, "sub": USER_ID, "exp": int(idp.clock()) + 60},
                     {"alg": alg, "kid": "rsa-1"})
    with pytest.raises(TokenRejected, match="accepted algorithm"):
        await verifier.verify(token)


async def test_hs256_signed_with_the_public_key_is_refused(verifier, idp):
    """The classic confusion attack: HMAC keyed with the RSA public key bytes."""
    import base64
    import hashlib
    import hmac

    pem = _RSA.as_pem(private=False)
    unsigned_part = unsigned({"iss": ISSUER, "aud": STORE_CLIENT, "sub": "x", "exp": int(idp.clock()) + 60},
                             {"alg": "HS256", "kid": "rsa-1"})[:-1]
    mac = hmac.new(pem, unsigned_part.encode(), hashlib.sha256).digest()
    forged = unsigned_part + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    with pytest.raises(TokenRejected, match="accepted algorithm"):
        await verifier.verify(forged)


async def test_es256_header_on_an_rsa_kid_is_refused(verifier, idp):
    token = idp.mint(key=_EC, alg="ES256", header={"kid": "rsa-1"})  # an EC signature naming the RSA kid
    with pytest.raises(TokenRejected):
        await verifier.verify(token)


@pytest.mark.parametrize("kid", [
    "../../etc/passwd", "rsa-1' OR '1'='1", "http://attacker.example/jwks.json", "", "x" * 10_000,
    "rsa-1\x00", "RSA-1",
])
async def test_kid_is_looked_up_never_trusted(verifier, idp, kid):
    token = idp.mint(header={"kid": kid})
    with pytest.raises(TokenRejected):
        await verifier.verify(token)


@pytest.mark.parametrize("kid", [{"kty": "oct", "k": "AAAA"}, 42, None, ["rsa-1"]])
async def test_non_string_kids_are_refused(verifier, idp, kid):
    token = unsigned({"iss": ISSUER, "aud": STORE_CLIENT, "sub": "x", "exp": int(idp.clock()) + 60},
                     {"alg": "RS256", "kid": kid})
    with pytest.raises(TokenRejected):
        await verifier.verify(token)


async def test_embedded_jwk_and_jku_are_ignored(verifier, idp):
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)
    from joserfc import jwt

    token = jwt.encode({"alg": "RS256", "kid": "rsa-1", "jwk": attacker.as_dict(private=False),
                        "jku": "http://attacker.example/jwks"},
                       {"iss": ISSUER, "aud": STORE_CLIENT, "sub": "x", "exp": int(idp.clock()) + 60}, attacker)
    with pytest.raises(TokenRejected, match="signature"):
        await verifier.verify(token)


async def test_jwks_is_cached(verifier, idp):
    for _ in range(5):
        await verifier.verify(idp.mint())
    assert idp.jwks_hits == 1


async def test_unknown_kid_refetches_after_rotation(verifier, idp):
    await verifier.verify(idp.mint())
    rotated = RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"}, private=True)
    idp.published.append(rotated)
    verifier.mono.t += 6  # beyond the minimum interval
    assert (await verifier.verify(idp.mint(key=rotated)))["sub"] == USER_ID
    assert idp.jwks_hits == 2


async def test_unknown_kids_cannot_hammer_the_idp(verifier, idp):
    await verifier.verify(idp.mint())
    verifier.mono.t += 6
    for i in range(20):
        with pytest.raises(TokenRejected, match="unknown key"):
            await verifier.verify(idp.mint(header={"kid": f"made-up-{i}"}))
    assert idp.jwks_hits == 2  # the first miss refetched once; the rest waited for the interval
    verifier.mono.t += 6
    with pytest.raises(TokenRejected):
        await verifier.verify(idp.mint(header={"kid": "made-up-again"}))
    assert idp.jwks_hits == 3


async def test_idp_outage_keeps_cached_keys(verifier, idp):
    await verifier.verify(idp.mint())
    idp.jwks_down = True
    verifier.mono.t += 6
    with pytest.raises(TokenRejected):
        await verifier.verify(idp.mint(header={"kid": "unknown"}))
    assert await verifier.verify(idp.mint())  # rsa-1 still cached


async def test_key_removed_from_jwks_is_no_longer_accepted(verifier, idp):
    await verifier.verify(idp.mint())
    idp.published = [_EC]  # the IdP retired rsa-1
    verifier.mono.t += 6
    with pytest.raises(TokenRejected):
        await verifier.verify(idp.mint(header={"kid": "trigger-refetch"}))
    with pytest.raises(TokenRejected, match="unknown key"):
        await verifier.verify(idp.mint())


def test_symmetric_algorithms_cannot_be_configured():
    with pytest.raises(ValueError):
        JwtVerifier(JwksCache(lambda: None), issuer=ISSUER, audience="a", algorithms=("HS256",))  # type: ignore


async def test_a_verified_token_is_remembered_only_until_its_exp(verifier, idp, clock, monkeypatch):
    token = idp.mint(exp_in=60)
    first = await verifier.verify(token)
    decode = pytest.fail  # a cached answer must not decode again
    monkeypatch.setattr("authgate_demo.apps.common.jwt_verifier.jwt.decode", lambda *a, **k: decode("decoded again"))
    assert await verifier.verify(token) == first
    monkeypatch.undo()
    clock.now += 61  # past exp, within the leeway: verified afresh (and still accepted by the leeway)
    calls = []
    real = verifier._verify
    monkeypatch.setattr(verifier, "_verify", lambda *a: calls.append(1) or real(*a))
    assert await verifier.verify(token)
    assert calls == [1]


async def test_a_rejected_token_is_never_remembered(verifier, idp, clock):
    token = idp.mint(nbf=int(clock()) + 120)
    for _ in range(2):
        with pytest.raises(TokenRejected):
            await verifier.verify(token)
    clock.now += 121
    assert await verifier.verify(token)  # valid now, and only now
