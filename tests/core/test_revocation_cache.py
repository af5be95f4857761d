"""The revoked-grant check on every token validation is cached per process: a revocation made
here is seen at once, one made by another node (another Registry on the same database) within
`RevokedGrants.NOT_REVOKED_TTL` -- the test moves the cache's timer instead of sleeping."""
from __future__ import annotations

import pytest

from authgate.registry import Registry


class Timer:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_revocation_here_is_seen_at_once(registry):
    repo = registry.db.revoked_grants
    repo.timer = Timer()
    assert not await repo.is_revoked("grant-1")
    await repo.revoke("grant-1", 60)
    assert await repo.is_revoked("grant-1")


async def test_revocation_on_another_node_is_seen_within_the_window(registry):
    other = Registry(registry.settings)
    try:
        repo, timer = registry.db.revoked_grants, Timer()
        repo.timer = timer
        assert not await repo.is_revoked("grant-2")  # cached "not revoked" from now
        await other.db.revoked_grants.revoke("grant-2", 60)
        timer.t += repo.NOT_REVOKED_TTL / 2
        assert not await repo.is_revoked("grant-2")  # inside the window: the cached answer
        timer.t += repo.NOT_REVOKED_TTL
        assert await repo.is_revoked("grant-2")  # window over: read again, and revoked for good
        timer.t += 3600
        assert await repo.is_revoked("grant-2")
    finally:
        await other.close()


async def test_a_remembered_token_still_expires_and_still_needs_its_key(registry, monkeypatch):
    """tokens/jwt.py remembers signature-verified tokens: the claims (exp) are still checked on
    every use, and a token is only taken from memory while its kid names the very key that
    verified it."""
    from authgate.clock import clock
    from authgate.tokens import jwt

    now = int(clock.now())
    token = await jwt.sign(registry.keys, {"iss": registry.issuer, "sub": "u", "iat": now, "exp": now + 60})
    assert (await jwt.verify(registry.keys, token, issuer=registry.issuer))["sub"] == "u"
    assert len(registry.keys.verified_tokens) == 1
    with pytest.raises(jwt.TokenInvalid):  # the same token, presented with another issuer expected
        await jwt.verify(registry.keys, token, issuer="https://elsewhere.example")
    clock.advance(120)
    with pytest.raises(jwt.TokenExpired):
        await jwt.verify(registry.keys, token, issuer=registry.issuer)
    clock.advance(-120)
    kid = jwt.unverified_header(token)["kid"]
    registry.keys.forget(kid)  # a deleted key: the next lookup is a fresh key object, or none
    registry.keys._parsed.clear()
    calls = []
    real_decode = jwt.jwt.decode
    monkeypatch.setattr(jwt.jwt, "decode", lambda *a, **k: calls.append(1) or real_decode(*a, **k))
    await jwt.verify(registry.keys, token, issuer=registry.issuer)
    assert calls == [1]  # verified again against the re-read key, not taken from memory
