"""The failed-login lockout under attack (issue 15, findings 1 and 5; authgate/lockout.py).

1. Concurrency: the pen-tester sent 40 simultaneous wrong logins for one account with the right
   password as the 40th and got a 200, although the threshold is 5 -- every request in flight was
   judged before the first failure was counted. Guesses are now reserved before the hash.
2. Enumeration through the lockout: an unknown login id answers exactly like an existing one
   however often it fails, and the lock hurts the attacker's address, not the owner's.
Across two nodes: tests/reliability/test_multinode.py.
"""
from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from authgate import retention
from authgate.clock import clock
from authgate.web.app import create_app
from tests.conftest import IDP
from tests.factories import make_user

RIGHT = {"loginId": "richard@example.com", "password": "password"}
WRONG = {"loginId": "richard@example.com", "password": "wrong-password"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "failed_login_account_threshold": 12}


def _from(registry, address: str) -> httpx.AsyncClient:
    app = create_app(registry.settings, registry)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=IDP)


@pytest.fixture
def hashes(registry, monkeypatch) -> list[str]:
    """Every password verification the server runs (argon2 on a thread)."""
    seen: list[str] = []
    original = registry.hasher.verify

    async def counting(stored: str | None, password: str) -> tuple[bool, bool]:
        seen.append(password)
        return await original(stored, password)

    monkeypatch.setattr(registry.hasher, "verify", counting)
    return seen


async def test_forty_concurrent_guesses_get_at_most_the_threshold_of_hashes(client, registry, hashes):
    await make_user(registry)
    threshold = registry.settings.failed_login_threshold
    bodies = [WRONG] * 39 + [RIGHT]  # the right password as the 40th, as the pen-tester sent it
    answers = await asyncio.gather(*(client.post("/api/login", json=b) for b in bodies))
    codes = [r.status_code for r in answers]
    assert 200 not in codes and "token" not in "".join(r.text for r in answers)
    assert codes.count(404) <= threshold and codes.count(404) + codes.count(409) == 40
    assert len(hashes) <= threshold  # guesses per lock window, however the requests arrived
    assert (await client.post("/api/login", json=RIGHT)).status_code == 409  # and now it is locked
    clock.advance(registry.settings.lockout_seconds + 1)
    assert (await client.post("/api/login", json=RIGHT)).status_code == 200


async def test_concurrent_failures_below_the_threshold_leave_the_account_usable(client, registry):
    await make_user(registry)
    threshold = registry.settings.failed_login_threshold
    codes = [r.status_code for r in await asyncio.gather(*(client.post("/api/login", json=WRONG)
                                                             for _ in range(threshold - 1)))]
    assert codes == [404] * (threshold - 1)
    assert (await client.post("/api/login", json=RIGHT)).status_code == 200
    # The success gave the reservations back: a fresh threshold of tries.
    codes = [(await client.post("/api/login", json=WRONG)).status_code for _ in range(threshold - 1)]
    assert codes == [404] * (threshold - 1) and (await client.post("/api/login", json=RIGHT)).status_code == 200


async def test_an_owner_who_logs_in_often_is_never_locked(client, registry):
    await make_user(registry)
    for _ in range(3 * registry.settings.failed_login_threshold):
        assert (await client.post("/api/login", json=RIGHT)).status_code == 200


async def test_an_unknown_login_id_answers_exactly_like_an_existing_one(client, registry):
    """Finding 5: after five failures the existing account said 409, the unknown one kept saying 404."""
    await make_user(registry)
    known = [await client.post("/api/login", json=WRONG) for _ in range(8)]
    unknown = [await client.post("/api/login", json={"loginId": "nobody@example.com", "password": "wrong-password"})
               for _ in range(8)]
    assert [(r.status_code, r.content) for r in known] == [(r.status_code, r.content) for r in unknown]
    assert [r.status_code for r in known] == [404] * 5 + [409] * 3
    # Case and spaces do not make a new unknown account (lookups ignore them too).
    again = await client.post("/api/login", json={"loginId": "  NOBODY@example.com ", "password": "x"})
    assert again.status_code == 409


async def test_the_hosted_page_says_the_same_for_unknown_and_existing_ids(client, registry):
    from tests.oauth2.conftest import STORE_CB, authorize_params, login, oauth_app

    store = await oauth_app(registry, "Store", STORE_CB)
    await make_user(registry, apps=[store])
    params = authorize_params(store["id"], STORE_CB)
    texts = {}
    for who in ("richard@example.com", "nobody@example.com"):
        pages = [await login(client, params, login_id=who, password="wrong") for _ in range(6)]
        texts[who] = [(p.status_code, re.findall(r'id="login-error">([^<]*)<', p.text)) for p in pages]
    assert texts["richard@example.com"] == texts["nobody@example.com"]
    assert "try again later" in texts["nobody@example.com"][-1][1][0]


async def test_the_lock_hurts_the_attackers_address_not_the_owners(registry):
    await make_user(registry)
    async with _from(registry, "203.0.113.66") as attacker, _from(registry, "198.51.100.7") as owner:
        for _ in range(registry.settings.failed_login_threshold + 3):
            await attacker.post("/api/login", json=WRONG)
        assert (await attacker.post("/api/login", json=RIGHT)).status_code == 409  # the attacker is locked out
        assert (await owner.post("/api/login", json=RIGHT)).status_code == 200  # the owner is not


async def test_guessing_spread_over_many_addresses_locks_the_account(registry):
    """`FAILED_LOGIN_ACCOUNT_THRESHOLD` (12 here) bounds guesses per window from all sources."""
    await make_user(registry)
    codes = []
    for n in range(5):
        async with _from(registry, f"192.0.2.{n + 1}") as source:
            codes += [(await source.post("/api/login", json=WRONG)).status_code for _ in range(3)]
    assert codes.count(404) == 12 and codes.count(409) == 3
    async with _from(registry, "198.51.100.7") as owner:
        assert (await owner.post("/api/login", json=RIGHT)).status_code == 409
    clock.advance(registry.settings.lockout_seconds + 1)
    async with _from(registry, "198.51.100.7") as owner:
        assert (await owner.post("/api/login", json=RIGHT)).status_code == 200


async def test_counters_of_unknown_ids_are_purged(client, registry):
    """Bounded storage: a counter goes once its window and lock are over."""
    for n in range(20):
        await client.post("/api/login", json={"loginId": f"ghost{n}@example.com", "password": "x"})
    from sqlalchemy import func, select

    from authgate.storage.schema import login_attempts

    async def rows() -> int:
        async with registry.db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(login_attempts))).scalar_one())

    assert await rows() == 40  # one per (id, address) pair, one per id
    clock.advance(registry.settings.failed_login_window_seconds + 600)
    await retention.purge(registry.db, registry.settings)
    assert await rows() == 0
