"""Concurrency: one refresh token spent once, failure counters exact, no lost updates.

Each in-process test runs on SQLite and PostgreSQL (the `registry` fixture); one test repeats the
refresh race against a real `authgate serve` on PostgreSQL over real HTTP.
"""
from __future__ import annotations

import asyncio
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from authgate.storage.schema import refresh_tokens as rt
from tests.conftest import _pg_exec, pg_skip_reason
from tests.factories import make_application, make_user
from tests.reliability import nodes

RACERS = 100


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "failed_login_threshold": 10,
            "failed_login_window_seconds": 600}


async def _family(registry, family_id: str) -> list[dict[str, Any]]:
    async with registry.db.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(select(rt).where(rt.c.family_id == family_id))).mappings()]


async def _race_refresh(post, token: str) -> list[httpx.Response]:
    return list(await asyncio.gather(*(post("/api/jwt/refresh", json={"refreshToken": token}) for _ in range(RACERS))))


def _assert_one_winner(responses: list[httpx.Response]) -> dict[str, Any]:
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1, sorted(codes)
    assert codes.count(400) == RACERS - 1, sorted(codes)
    winner = next(r for r in responses if r.status_code == 200).json()
    messages = {r.json()["fieldErrors"]["refreshToken"][0]["message"] for r in responses if r.status_code == 400}
    # Every loser was refused as a reuse or, once the family was revoked, as revoked; nothing else.
    assert messages <= {"The refresh token was already used; every token of its session has been revoked.",
                        "The refresh token has been revoked."}, messages
    return winner


async def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(client, registry):
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "OneTimeUse"})
    await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    client.cookies.clear()
    first = login.json()["refreshToken"]
    # Racers share no cookie jar: a winner's refresh_token cookie must not reach a later racer.
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    winner = _assert_one_winner(await _race_refresh(client.post, first))
    client.cookies.jar.set_policy(DefaultCookiePolicy())
    # Reuse detection revoked the whole family, the winner's new token included.
    family = await _family(registry, (await registry.db.refresh_tokens.find_by_token(first))["family_id"])
    assert len(family) == 2 and all(row["revoked_instant"] is not None for row in family)
    client.cookies.clear()
    assert (await client.post("/api/jwt/refresh", json={"refreshToken": winner["refreshToken"]})).status_code == 400


async def test_concurrent_failed_logins_are_all_counted(client, registry):
    """count = count + 1 in SQL, before the hash: nine parallel failures are nine, so the tenth
    (the threshold here) is the last one hashed and the eleventh is refused."""
    await make_user(registry)
    threshold = registry.settings.failed_login_threshold
    bad = {"loginId": "richard@example.com", "password": "wrong-password"}
    codes = [r.status_code for r in await asyncio.gather(*(client.post("/api/login", json=bad)
                                                             for _ in range(threshold - 1)))]
    assert codes == [404] * (threshold - 1)
    assert (await client.post("/api/login", json=bad)).status_code == 404
    assert (await client.post("/api/login", json=bad)).status_code == 409


async def test_concurrent_failed_logins_lock_exactly_at_the_threshold(client, registry):
    """Twice the threshold at once: exactly the threshold are judged, the rest refused without a hash."""
    await make_user(registry)
    threshold = registry.settings.failed_login_threshold
    bad = {"loginId": "richard@example.com", "password": "wrong-password"}
    codes = [r.status_code for r in await asyncio.gather(*(client.post("/api/login", json=bad)
                                                             for _ in range(2 * threshold)))]
    assert sorted(codes) == [404] * threshold + [409] * threshold
    locked = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password"})
    assert locked.status_code == 409


async def test_concurrent_patches_of_one_user_lose_nothing(client, registry, admin):
    """Optimistic concurrency: each PATCH is either kept or answered 409, never silently dropped."""
    user = await make_user(registry)
    fields = {f"field{i}": f"value{i}" for i in range(20)}
    responses = await asyncio.gather(*(
        client.patch(f"/api/user/{user['id']}", headers=admin, json={"user": {"data": {k: v}}})
        for k, v in fields.items()))
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}, codes
    kept = (await client.get(f"/api/user/{user['id']}", headers=admin)).json()["user"].get("data", {})
    for (k, v), code in zip(fields.items(), codes):
        if code == 200:
            assert kept.get(k) == v, (k, kept)
        else:
            assert k not in kept
    top = await asyncio.gather(
        client.patch(f"/api/user/{user['id']}", headers=admin, json={"user": {"firstName": "Richard"}}),
        client.patch(f"/api/user/{user['id']}", headers=admin, json={"user": {"lastName": "Hendricks"}}),
        client.patch(f"/api/user/{user['id']}", headers=admin, json={"user": {"mobilePhone": "+15555550100"}}))
    final = (await client.get(f"/api/user/{user['id']}", headers=admin)).json()["user"]
    for r, (k, v) in zip(top, [("firstName", "Richard"), ("lastName", "Hendricks"), ("mobilePhone", "+15555550100")]):
        assert r.status_code in (200, 409)
        assert (final.get(k) == v) == (r.status_code == 200), (k, final)


async def test_repo_replace_refuses_a_stale_version(registry):
    user = await make_user(registry)
    v = user["version"]
    results = await asyncio.gather(*(registry.db.users.replace(user["id"], {**user["doc"], "n": i}, None, v)
                                     for i in range(10)))
    assert results.count(True) == 1
    assert (await registry.db.users.get(user["id"]))["version"] == v + 1


@pytest.mark.postgres
@pytest.mark.slow
def test_concurrent_refreshes_against_a_real_server_on_postgres(tmp_path: Path):
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = nodes.new_schema()
    asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
    try:
        env = nodes.pg_env(schema, AUTHGATE_RATE_LIMIT_STORAGE="")
        with nodes.nodes(tmp_path, 1, env) as (node,):
            who = nodes.provision(node.url)
            login = httpx.post(f"{node.url}/api/login", json={"loginId": who["email"], "password": who["password"],
                                                              "applicationId": who["app_id"]})
            assert login.status_code == 200, login.text

            async def race() -> list[httpx.Response]:
                limits = httpx.Limits(max_connections=RACERS)
                async with httpx.AsyncClient(base_url=node.url, limits=limits, timeout=30) as c:
                    return await _race_refresh(c.post, login.json()["refreshToken"])

            winner = _assert_one_winner(asyncio.run(race()))
            again = httpx.post(f"{node.url}/api/jwt/refresh", json={"refreshToken": winner["refreshToken"]})
            assert again.status_code == 400
    finally:
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))


async def _replay_inside(client, registry, monkeypatch, step: str) -> tuple[httpx.Response, list[dict[str, Any]]]:
    """Log in, then refresh while a replay of the same token is sent from inside the repository's
    `step` (right after it ran); returns the winner's answer and the token family afterwards."""
    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "OneTimeUse"})
    await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    client.cookies.clear()
    first = login.json()["refreshToken"]
    repo = registry.db.refresh_tokens
    real = getattr(repo, step)
    replays: list[httpx.Response] = []

    async def then_replay(*args: Any) -> Any:
        result = await real(*args)
        replays.append(await client.post("/api/jwt/refresh", json={"refreshToken": first}))
        return result

    monkeypatch.setattr(repo, step, then_replay)
    winner = await client.post("/api/jwt/refresh", json={"refreshToken": first})
    monkeypatch.setattr(repo, step, real)
    assert [r.status_code for r in replays] == [400]
    family = await _family(registry, (await repo.find_by_token(first))["family_id"])
    assert len(family) == 2 and all(row["revoked_instant"] is not None for row in family), family
    client.cookies.clear()
    return winner, family


async def test_replay_between_rotation_and_new_token_still_revokes_the_new_token(client, registry, backend):
    """RFC 9700 section 4.14.2: the replay's revocation of the family starts after the winner spent
    the token but before its new token is committed; the new token must not survive it.

    On PostgreSQL the spend and the insert are one statement, and a revocation that began before
    it committed cannot see the new token (READ COMMITTED): the race is staged exactly with locks.
    The winner's statement is held after its spend by a lock on the user row (its foreign-key
    check waits), the revocation starts and waits on the spent row, then both are let go.
    """
    if backend == "sqlite":
        pytest.skip("SQLite consumes and inserts in one transaction and runs writers one at a time: "
                    "nothing can start between them (the replay right after the rotation is tested below)")
    import asyncpg
    from tests.conftest import PG_DSN

    app = await make_application(registry, jwtConfiguration={"refreshTokenUsagePolicy": "OneTimeUse"})
    user = await make_user(registry, apps=[app])
    login = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
    client.cookies.clear()
    first = login.json()["refreshToken"]
    family_id = (await registry.db.refresh_tokens.find_by_token(first))["family_id"]
    connect = lambda: asyncpg.connect(PG_DSN, server_settings={"search_path": registry.settings.database_schema})  # noqa: E731
    holder, watcher = await connect(), await connect()

    async def until_blocked_by(pid: int, statement: str) -> int:
        """The backend running `statement...` once it waits on a lock `pid` holds (30 s at most)."""
        for _ in range(3000):
            found = await watcher.fetch("SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) "
                                        "AND query LIKE $2", pid, statement + "%")
            if found:
                return int(found[0]["pid"])
            await asyncio.sleep(0.01)
        waiting = await watcher.fetch("SELECT pid, left(query, 60) AS q FROM pg_stat_activity "
                                      "WHERE $1 = ANY(pg_blocking_pids(pid))", pid)
        raise AssertionError(f"no {statement!r} got blocked by {pid}; blocked: {[dict(r) for r in waiting]}")

    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user["id"])
        refresh = asyncio.create_task(client.post("/api/jwt/refresh", json={"refreshToken": first}))
        winner_pid = await until_blocked_by(holder.get_server_pid(), "WITH spent AS")  # spent, inserting, waiting
        replay = asyncio.create_task(registry.db.refresh_tokens.revoke_family(family_id))
        await until_blocked_by(winner_pid, "UPDATE refresh_tokens")  # has its snapshot, waits on the spent row
        await tx.rollback()
        winner, revoked = await refresh, await replay
    finally:
        await holder.close()
        await watcher.close()
    assert revoked == 1  # the revocation saw only the spent token, not the new one
    family = await _family(registry, family_id)
    assert len(family) == 2 and all(row["revoked_instant"] is not None for row in family), family
    if winner.status_code == 200:
        again = await client.post("/api/jwt/refresh", json={"refreshToken": winner.json()["refreshToken"]})
        assert again.status_code == 400


async def test_replay_right_after_rotation_revokes_the_new_token(client, registry, monkeypatch):
    """The replay of the spent token arrives the moment the rotation is stored, before the winner
    has even answered: the whole family, the successor included, is revoked."""
    winner, _ = await _replay_inside(client, registry, monkeypatch, "rotate")
    assert winner.status_code == 200
    again = await client.post("/api/jwt/refresh", json={"refreshToken": winner.json()["refreshToken"]})
    assert again.status_code == 400
