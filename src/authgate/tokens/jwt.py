"""Sign and verify JWTs (RFC 7519) with the key ring, following RFC 8725's best practices.

Verification: the header `alg` must be in the allowlist *and* match the algorithm of the key
that `kid` names (so an HS256 token "signed" with an RSA public key never verifies, and
`alg: none` never does); `jku`/`x5u`/`jwk` headers are ignored; unknown `crit` is refused;
then claims (`iss`, `aud`, `exp`, `nbf`) are checked with the injectable clock.
"""
from __future__ import annotations

from typing import Any

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwt import JWTClaimsRegistry

from authgate.clock import clock
from authgate.keys import ALGORITHMS, KeyRing

MAX_TOKEN_BYTES = 8192
LEEWAY_SECONDS = 5


class TokenInvalid(Exception):
    """Public message is generic; `reason` says why for logs and tests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenExpired(TokenInvalid):
    pass


async def sign(keys: KeyRing, claims: dict[str, Any], key_id: str | None = None, algorithm: str = "RS256",
               typ: str = "JWT") -> str:
    key = await keys.signing_key(key_id, algorithm)
    return jwt.encode({"alg": key.algorithm, "typ": typ, "kid": key.kid}, claims, key.private)


def unverified_header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise TokenInvalid("malformed")
    try:
        return dict(jws.extract_compact(token.encode()).headers())
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenInvalid(f"malformed header: {exc}") from exc


async def verify(keys: KeyRing, token: str, *, issuer: str, audience: str | list[str] | None = None,
                 algorithms: tuple[str, ...] = ALGORITHMS, typ: str | None = None,
                 allow_expired: bool = False) -> dict[str, Any]:
    """Verified claims of `token`, or TokenInvalid/TokenExpired (`allow_expired`: OIDC id_token_hint).

    A token whose signature verified is remembered (bounded) with the key object that verified
    it: presented again, only the signature check and the parsing are skipped, and only while `kid`
    still names that very key (a key deleted or re-read since is a miss). Every other check runs.
    """
    cached = keys.verified_tokens.get(token) if isinstance(token, str) else None
    header = cached[0] if cached is not None else unverified_header(token)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in algorithms:
        raise TokenInvalid(f"algorithm {alg!r} not allowed")
    if "crit" in header:
        raise TokenInvalid("unsupported critical header")
    # `typ` is a media type whose "application/" may be left out (RFC 7515 section 4.1.9).
    if typ is not None and str(header.get("typ", "")).lower().removeprefix("application/") != typ.lower():
        raise TokenInvalid(f"wrong typ {header.get('typ')!r}")
    key = await keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenInvalid("unknown kid")
    if key.algorithm != alg:
        raise TokenInvalid("alg does not match the key")
    if cached is not None and cached[2] is key:
        claims, passed = dict(cached[1]), cached[3]
    else:
        try:
            decoded = jwt.decode(token, key.public, algorithms=[key.algorithm])
        except (JoseError, ValueError) as exc:
            raise TokenInvalid(f"bad signature: {exc}") from exc
        claims, passed = dict(decoded.claims), {}
        keys.verified_tokens.put(token, (header, dict(claims), key, passed))
    asked = _asked(issuer, audience)
    until = passed.get(asked)
    if until is not None and clock.now() < until:
        return claims  # the same checks passed before, and nothing but `exp` can change their answer
    try:
        check_claims(keys, claims, issuer=issuer, audience=audience)
    except TokenExpired:
        if not allow_expired or claims.get("iss") != issuer:
            raise
        return claims
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        # iss and aud are fixed, and nbf/iat once satisfied stay so: the verdict holds until exp.
        passed[asked] = exp + LEEWAY_SECONDS
    return claims


Asked = tuple[str, "tuple[str, ...] | None"]


def _asked(issuer: str, audience: str | list[str] | None) -> Asked:
    """The claim checks asked for, as a key: the issuer and the accepted audiences."""
    return issuer, None if audience is None else (audience,) if isinstance(audience, str) else tuple(audience)


def _claims_registry(keys: KeyRing, issuer: str, audience: str | list[str] | None) -> JWTClaimsRegistry:
    """One registry per (issuer, audience) asked about, kept on the key ring beside the verified
    tokens (one per process registry, not a module global): building one costs as much as using it."""
    asked = _asked(issuer, audience)
    registries = keys.claims_registries
    registry = registries.get(asked)
    if registry is None:
        auds = asked[1]
        options: dict[str, Any] = {"iss": {"essential": True, "value": issuer}, "exp": {"essential": True}}
        if auds is not None:
            options["aud"] = {"essential": True, "values": list(auds)}
        registry = JWTClaimsRegistry(now=lambda: int(clock.now()), leeway=LEEWAY_SECONDS, **options)
        if len(registries) >= 256:  # audiences come from requests; keep the map bounded
            registries.clear()
        registries[asked] = registry
    return registry


def check_claims(keys: KeyRing, claims: dict[str, Any], *, issuer: str, audience: str | list[str] | None) -> None:
    registry = _claims_registry(keys, issuer, audience)
    try:
        registry.validate(claims)
    except JoseError as exc:
        if isinstance(exc, ExpiredTokenError):
            raise TokenExpired("expired") from exc
        raise TokenInvalid(f"claims: {exc}") from exc
