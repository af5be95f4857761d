"""Two-factor challenges (pending logins' twoFactorIds, WebAuthn ceremonies, authenticator set-ups)
are deleted by the janitor once expired, like the other expired rows (tests/core/test_retention.py),
not by the requests that create new ones; live ones stay usable. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from authgate import retention
from authgate.clock import clock
from authgate.mfa import passkeys, pending
from authgate.registry import Registry
from authgate.storage.schema import mfa_challenges
from tests.factories import make_user

RULE = "two-factor challenges"


async def _count(reg: Registry) -> int:
    async with reg.db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(mfa_challenges))).scalar_one())


async def _challenges(reg: Registry, user: dict[str, object], n: int) -> list[str]:
    """n of each kind; returns the twoFactorIds."""
    ids = []
    for _ in range(n):
        ids.append(await pending.start(reg, str(user["id"]), None, ("pwd",)))
        await passkeys.registration_options(reg, user, "Laptop")
        await passkeys.authentication_options(reg, None, passwordless=True)
        await passkeys.authentication_options(reg, str(user["id"]), passwordless=True, kind=passkeys.CONFIRM)
    return ids


async def test_expired_challenges_wait_for_the_janitor_and_live_ones_stay(registry: Registry) -> None:
    user = await make_user(registry)
    old = await _challenges(registry, user, 30)
    clock.advance(max(registry.settings.two_factor_ttl_seconds, registry.settings.webauthn_timeout_seconds) + 1)
    assert await pending.find(registry, old[0], None) is None  # expired: refused at once...
    await _challenges(registry, user, 3)
    assert await _count(registry) == 33 * 4  # ...but creating new ones deleted nothing
    assert (await retention.purge(registry.db, registry.settings) or {})[RULE] == 0  # inside the grace period
    clock.advance(retention.GRACE_SECONDS)
    live = await _challenges(registry, user, 3)  # the three sets before expired too, but are within the grace
    deleted = await retention.purge(registry.db, registry.settings, batch=7)
    assert deleted is not None and deleted[RULE] == 30 * 4  # in batches of 7
    assert await _count(registry) == 6 * 4
    assert None not in [await pending.find(registry, value, None) for value in live]
    assert (await retention.purge(registry.db, registry.settings) or {})[RULE] == 0
