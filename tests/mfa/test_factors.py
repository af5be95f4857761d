"""The MFA core on both databases: TOTP enrolment and single use, recovery codes, lockout, removal,
sealed secrets."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from authgate.clock import clock
from authgate.mfa import factors, recovery, totp
from authgate.registry import Registry
from authgate.storage.schema import audit_log, mfa_methods, recovery_codes
from tests.factories import make_user
from tests.mfa.conftest import code_now, next_step


async def test_enrol_returns_ten_recovery_codes_once_and_stores_digests(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    method, codes = await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    assert codes is not None and len(codes) == 10 and len(set(codes)) == 10
    second, again = await factors.enable_totp(registry, user["id"], secret,
                                              code_now(secret, 1))
    assert again is None  # only the first method brings codes
    async with registry.db.engine.connect() as conn:
        stored = [r.code_digest for r in await conn.execute(select(recovery_codes))]
        secrets_at_rest = [r.secret for r in await conn.execute(select(mfa_methods))]
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert all(s.startswith("v1:") and totp.base32(secret) not in s for s in secrets_at_rest)


async def test_confirmation_code_must_match(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    with pytest.raises(factors.BadCode):
        await factors.enable_totp(registry, user["id"], secret, "000000" if code_now(secret) != "000000" else "111111")
    assert await factors.methods(registry, user["id"]) == []


async def test_a_code_is_accepted_once_even_inside_its_window(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    with pytest.raises(factors.BadCode):  # the confirmation code is already spent
        await factors.check_code(registry, user["id"], code_now(secret))
    next_step()
    code = code_now(secret)
    assert await factors.check_code(registry, user["id"], code) == "otp"
    with pytest.raises(factors.BadCode):
        await factors.check_code(registry, user["id"], code)
    next_step()
    with pytest.raises(factors.BadCode):  # the previous window's code, replayed: still refused
        await factors.check_code(registry, user["id"], code)
    assert await factors.check_code(registry, user["id"], code_now(secret)) == "otp"


@pytest.mark.parametrize("junk", ["12345", "1234567", "12a456", "１２３４５６", "", " " * 6, "x" * 5000])
async def test_malformed_codes_are_refused(registry: Registry, junk: str) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    with pytest.raises(factors.BadCode):
        await factors.check_code(registry, user["id"], junk)


async def test_recovery_codes_are_single_use(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    _, codes = await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    assert codes
    assert await factors.check_code(registry, user["id"], codes[0].lower().replace("-", " ")) == "recovery"
    with pytest.raises(factors.BadCode):
        await factors.check_code(registry, user["id"], codes[0])
    assert await registry.db.recovery_codes.remaining(user["id"]) == 9


async def test_wrong_codes_count_toward_the_lockout(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    wrong = "000000" if code_now(secret) != "000000" else "111111"
    for _ in range(registry.settings.failed_login_threshold):
        with pytest.raises(factors.BadCode):
            await factors.check_code(registry, user["id"], wrong)
    next_step()
    with pytest.raises(factors.Locked):  # even the right code, until the lockout ends
        await factors.check_code(registry, user["id"], code_now(secret))
    clock.advance(registry.settings.lockout_seconds + 1)
    assert await factors.check_code(registry, user["id"], code_now(secret)) == "otp"


async def test_removing_a_method_needs_a_fresh_code(registry: Registry) -> None:
    user = await make_user(registry)
    secret = totp.new_secret()
    method, _ = await factors.enable_totp(registry, user["id"], secret, code_now(secret))
    with pytest.raises(factors.BadCode):
        await factors.remove(registry, user["id"], method.id, code_now(secret))  # spent at enrolment
    assert len(await factors.methods(registry, user["id"])) == 1
    next_step()
    await factors.remove(registry, user["id"], method.id, code_now(secret))
    assert await factors.methods(registry, user["id"]) == []
    assert await registry.db.recovery_codes.remaining(user["id"]) == 0
    async with registry.db.engine.connect() as conn:
        types = [r.event_type for r in await conn.execute(
            select(audit_log).where(audit_log.c.user_id == user["id"]).order_by(audit_log.c.id))]
    assert types == ["user.two-factor.method.add", "user.two-factor.method.remove"]


def test_recovery_code_normalisation() -> None:
    code = recovery.generate()[0]
    assert recovery.normalise(code.lower()) == code and recovery.normalise(code.replace("-", "")) == code
    assert recovery.normalise("OOOOO-OOOOO") is None and recovery.normalise("ABC") is None
