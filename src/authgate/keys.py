"""Signing keys: generate, rotate, publish as JWKS, and keep parsed key objects cached.

Parsing a PEM costs ~100x a signature, so each key is parsed once per process and cached by
`kid`. The database stays the source of truth so several nodes agree: the JWKS and the current
signing key are re-read at most every few seconds, and an unknown `kid` is looked up (never
fetched from a URL: `kid`, `jku` and `x5u` are untrusted input, RFC 8725 section 3.10).
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, OctKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from authgate.clock import clock
from authgate.bounded import BoundedCache
from authgate.storage.db import Database
from authgate.storage.transaction import Tx

ALGORITHMS = ("RS256", "ES256", "HS256")
_CURRENT_TTL = 2.0
_MISS_REFRESH = 1.0


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: Any  # joserfc key able to sign
    public: Any  # joserfc key able to verify (same object for HS256)
    retire_instant: int | None
    row: dict[str, Any]


def _parse(row: dict[str, Any]) -> SigningKey:
    alg = row["algorithm"]
    if alg == "HS256":
        key = OctKey.import_key(row["private_pem"])
        return SigningKey(row["id"], alg, key, key, row["retire_instant"], row)
    cls = RSAKey if alg == "RS256" else ECKey
    public = cls.import_key(row["public_pem"], {"kid": row["id"], "alg": alg, "use": "sig"})
    private = cls.import_key(row["private_pem"], {"kid": row["id"], "alg": alg}) if row.get("private_pem") else None
    return SigningKey(row["id"], alg, private, public, row["retire_instant"], row)


def generate_material(algorithm: str, length: int | None = None) -> dict[str, str | None]:
    if algorithm == "RS256":
        key = RSAKey.generate_key(length or 2048, private=True)
    elif algorithm == "ES256":
        key = ECKey.generate_key("P-256", private=True)
    elif algorithm == "HS256":
        secret = OctKey.generate_key(max(256, length or 256), private=True)
        return {"public_pem": None, "private_pem": secret.as_dict()["k"]}
    else:
        raise ValueError(f"unsupported algorithm {algorithm}")
    return {"public_pem": key.as_pem(private=False).decode(), "private_pem": key.as_pem(private=True).decode()}


class KeyRing:
    def __init__(self, db: Database, max_token_ttl_seconds: int) -> None:
        # JWTs whose signature verified, with the key that did (tokens/jwt.py `verify`).
        self.verified_tokens = BoundedCache(4096)
        # The claim checkers tokens/jwt.py `verify` builds per (issuer, audiences) asked.
        self.claims_registries: dict[tuple[str, tuple[str, ...] | None], JWTClaimsRegistry] = {}
        self._db = db
        self._max_ttl = max_token_ttl_seconds
        self._parsed: dict[str, SigningKey] = {}  # parse cache: PEMs are parsed once per process
        self._live: dict[str, SigningKey] = {}
        self._newest: dict[str, tuple[dict[str, SigningKey], SigningKey]] = {}  # algorithm -> (of which read, key)
        self._jwks: dict[str, Any] = {"keys": []}
        self._loaded = -1e9

    def _cache(self, row: dict[str, Any]) -> SigningKey:
        cached = self._parsed.get(row["id"])
        if cached is None or cached.retire_instant != row["retire_instant"]:
            cached = self._parsed[row["id"]] = _parse(row)
        return cached

    async def ensure_default(self) -> None:
        if not await self._db.signing_keys.list():
            await self.generate("RS256", "Default signing key")

    async def generate(self, algorithm: str, name: str, kid: str | None = None, length: int | None = None,
                       tx: Tx | None = None) -> SigningKey:
        """`tx`: the key row is written in that transaction (with the event recording it)."""
        material = generate_material(algorithm, length)
        row = await self._db.signing_keys.create({"id": kid or str(uuid.uuid4()), "algorithm": algorithm, "name": name,
                                                  **material}, tx)
        self._written(tx)
        return self._cache(row)

    async def rotate(self, algorithm: str = "RS256", tx: Tx | None = None) -> SigningKey:
        """New current key; the old ones stay published until every token they signed has expired.
        With `tx`, the new key and the retirements are written in it."""
        old = [r for r in await self._db.signing_keys.published() if r["algorithm"] == algorithm and r["retire_instant"] is None]
        keep = max([self._max_ttl] + await self._app_token_ttls())
        new = await self.generate(algorithm, f"{algorithm} key rotated {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
                                  tx=tx)
        for row in old:
            await self._db.signing_keys.retire(row["id"], clock.now_ms() + keep * 1000, tx)
        self._written(tx)
        return new

    def _written(self, tx: Tx | None) -> None:
        """Re-read the published keys at next use -- once `tx`, if any, is committed."""
        if tx is None:
            self.invalidate()
        else:
            tx.after_commit(self.invalidate)

    async def _app_token_ttls(self) -> list[int]:
        """Each application's access token lifetime: an old key must outlive the longest of them."""
        ttls = []
        for app in await self._db.applications.list():
            ttl = (app["doc"].get("jwtConfiguration") or {}).get("timeToLiveInSeconds")
            if isinstance(ttl, int) and ttl > 0:
                ttls.append(ttl)
        return ttls

    def invalidate(self) -> None:
        self._loaded = -1e9

    def forget(self, kid: str) -> None:
        """Drop a deleted key, so tokens it signed stop verifying in this process at once."""
        self._parsed.pop(kid, None)
        self._live.pop(kid, None)
        self.invalidate()

    async def _published(self, refresh: bool = False) -> dict[str, SigningKey]:
        """Keys that may verify tokens, by kid, re-read from the database every few seconds so a
        key rotated, retired or deleted on another node is honoured here too."""
        now = time.monotonic()
        stale = now - self._loaded > _CURRENT_TTL
        # An unknown kid may re-read at most once a second: random kids cannot hammer the database.
        if stale or (refresh and now - self._loaded > _MISS_REFRESH):
            rows = await self._db.signing_keys.published()
            self._live = {r["id"]: self._cache(r) for r in rows}
            self._jwks = {"keys": [k.public.as_dict(private=False) for k in self._live.values() if k.algorithm != "HS256"]}
            self._loaded = now
        return self._live

    async def get(self, kid: str) -> SigningKey | None:
        if not isinstance(kid, str) or len(kid) > 64:
            return None
        key = (await self._published()).get(kid)
        if key is None:
            key = (await self._published(refresh=True)).get(kid)
        return key

    async def signing_key(self, key_id: str | None = None, algorithm: str = "RS256") -> SigningKey:
        """The key an application signs with: its pinned `accessTokenKeyId`, else the newest live key."""
        if key_id:
            key = await self.get(key_id)
            if key is not None and key.private is not None:
                return key
        live = await self._published()
        hit = self._newest.get(algorithm)
        if hit is not None and hit[0] is live:  # the same read of the key table: the same answer
            return hit[1]
        active = [k for k in live.values() if k.algorithm == algorithm and k.retire_instant is None]
        if not active:
            raise LookupError(f"no active {algorithm} signing key")
        newest = max(active, key=lambda k: (k.row["insert_instant"], k.kid))
        self._newest[algorithm] = (live, newest)
        return newest

    async def jwks(self) -> dict[str, Any]:
        await self._published()
        return self._jwks
