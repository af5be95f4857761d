"""Verify the IdP's access tokens locally against its JWKS (RFC 7515, 7517, 7519; RFC 8725 BCP).

Order of checks: size and shape, `alg` against our allowlist (never the token's word), `kid`
looked up in the IdP's published key set (never loaded from the token: `jku`, `jwk`, `x5u` are
ignored), signature, `typ` (`at+jwt` for an access token, RFC 9068), then the claims `iss`,
`aud`, `exp`, `nbf`, `sub` with a small leeway.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

log = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 8192  # a FusionAuth access token is well under 2 KB
MAX_KID_CHARS = 256
VERIFIED_CACHE_SIZE = 10_000  # verified tokens remembered, bounded; the oldest is dropped first
_KEY_TYPE_FOR_ALG = {"RS256": "RSA", "ES256": "EC"}

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


class TokenRejected(Exception):
    """A JWT we will not accept. `description` is shown to the client (RFC 6750 section 3);
    `detail` goes to the log only."""

    error = "invalid_token"
    status_code = 401

    def __init__(self, description: str, detail: str = "", *, expired: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail or description
        self.expired = expired


class JwksCache:
    """The IdP's public keys by `kid`, fetched on first use and again when a token names a kid
    we do not know (key rotation) -- but at most once per `min_interval` seconds, so a stream of
    tokens with made-up kids costs the IdP one request per interval, not one per token."""

    def __init__(self, fetch: JwksFetcher, *, min_interval: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> Any | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:  # concurrent misses share one fetch
            if kid not in self._keys and self._may_refetch():
                await self._refresh()
        return self._keys.get(kid)

    def cached(self, kid: str) -> Any | None:
        """The key we hold for `kid` now, without fetching."""
        return self._keys.get(kid)

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at >= self._min_interval

    async def _refresh(self) -> None:
        self._fetched_at = self._monotonic()
        try:
            document = await self._fetch()
            keys = {}
            for entry in document.get("keys", []):
                if isinstance(entry, dict) and isinstance(entry.get("kid"), str) and entry.get("use", "sig") == "sig":
                    keys[entry["kid"]] = KeySet.import_key_set({"keys": [entry]}).keys[0]
        except (OSError, ValueError, JoseError, AttributeError) as exc:
            # Keep the keys we had: an IdP hiccup must not log everybody out.
            log.warning("JWKS fetch failed, keeping %d cached keys: %r", len(self._keys), exc)
            return
        self._keys = keys


def http_jwks_fetcher(client: Any, jwks_url: str) -> JwksFetcher:
    """A fetcher over an `httpx.AsyncClient` (tests pass one with a MockTransport)."""

    import httpx

    async def fetch() -> dict[str, Any]:
        try:
            response = await client.get(jwks_url, timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError as exc:  # the cache treats OSError as "IdP unavailable"
            raise OSError(f"JWKS fetch from {jwks_url}: {exc!r}") from exc
        return response.json()

    return fetch


def _b64_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


class JwtVerifier:
    def __init__(self, jwks: JwksCache, *, issuer: str, audience: str, algorithms: tuple[str, ...] = ("RS256", "ES256"),
                 leeway: int = 30, clock: Callable[[], float] = time.time) -> None:
        unknown = set(algorithms) - set(_KEY_TYPE_FOR_ALG)
        if unknown:
            raise ValueError(f"unsupported algorithms {sorted(unknown)}; asymmetric RS256/ES256 only")
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._algorithms = algorithms
        self._leeway = leeway
        self._clock = clock
        # token -> (claims, exp, kid, key): tokens that passed every check, reused only while now < exp
        # (the leeway is not extended to cached answers) and while the JWKS still holds the very key
        # that verified them (a key the IdP retired stops its tokens at once). Failures are never cached.
        self._verified: dict[str, tuple[dict[str, Any], float, str, Any]] = {}

    async def verify(self, token: str, *, nonce: str | None = None) -> dict[str, Any]:
        """Return the claims of a valid token, else raise TokenRejected."""
        if nonce is None:
            hit = self._verified.get(token) if isinstance(token, str) else None
            if hit is not None:
                if self._clock() < hit[1] and self._jwks.cached(hit[2]) is hit[3]:
                    return dict(hit[0])
                del self._verified[token]
        claims, kid, key = await self._verify(token, nonce)
        exp = claims.get("exp")
        if nonce is None and isinstance(exp, (int, float)) and not isinstance(exp, bool):
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                del self._verified[next(iter(self._verified))]  # oldest first
            self._verified[token] = (dict(claims), float(exp), kid, key)
        return claims

    async def _verify(self, token: str, nonce: str | None) -> tuple[dict[str, Any], str, Any]:
        header = self._header(token)
        alg = header.get("alg")
        if alg not in self._algorithms:
            raise TokenRejected("The access token is not signed with an accepted algorithm", f"alg={alg!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_CHARS:
            raise TokenRejected("The access token has no usable key id", "kid missing, not a string or too long")
        key = await self._jwks.key_for(kid)
        if key is None or key.key_type != _KEY_TYPE_FOR_ALG[alg]:
            raise TokenRejected("The access token was signed by an unknown key", f"kid {kid[:64]!r} not in JWKS")
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
        except (JoseError, ValueError) as exc:
            raise TokenRejected("The access token signature or format is invalid", repr(exc)) from exc
        # RFC 9068 section 4: an access token is typed `at+jwt`; an id_token (`nonce` given here) is
        # not. Signed by the same key, one must never pass for the other (an id_token as Bearer).
        is_at = str(header.get("typ", "")).lower().removeprefix("application/") == "at+jwt"
        if nonce is None and not is_at:
            raise TokenRejected("The token is not an access token", f"typ={header.get('typ')!r}")
        if nonce is not None and is_at:
            raise TokenRejected("An access token is not an id_token", "typ at+jwt where an id_token was expected")
        self._check_claims(claims, nonce)
        return claims, kid, key

    def _header(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
            raise TokenRejected("The access token is malformed", "not a compact JWS")
        try:
            header = _b64_json(token.split(".", 1)[0])
        except (ValueError, UnicodeDecodeError) as exc:
            raise TokenRejected("The access token is malformed", f"header: {exc!r}") from exc
        if not isinstance(header, dict):
            raise TokenRejected("The access token is malformed", "header is not an object")
        return header

    def _check_claims(self, claims: dict[str, Any], nonce: str | None) -> None:
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self._issuer},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        registry = JWTClaimsRegistry(now=lambda: int(self._clock()), leeway=self._leeway, **options)
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise TokenRejected("The access token expired", repr(exc), expired=True) from exc
        except JoseError as exc:
            raise TokenRejected("The access token is not valid here", f"claims: {exc!r}") from exc
        # aud is checked by hand: it may be a string or a list, and this message matters in the
        # demo (a refresh returning another app's token lands here).
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self._audience not in audiences:
            raise TokenRejected("The access token was issued for another application", f"aud={aud!r}")
        cnf = claims.get("cnf")
        if isinstance(cnf, dict) and cnf.get("jkt"):
            # RFC 9449 section 7: a DPoP-bound token is only good with a proof of its key. This app
            # takes bearer tokens only, so accepting it would turn a stolen bound token into a bearer one.
            raise TokenRejected("The access token is bound to a DPoP key; this app accepts bearer tokens only", "cnf.jkt present")
