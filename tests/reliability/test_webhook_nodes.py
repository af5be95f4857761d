"""Webhook delivery across real `authgate serve` processes: a node killed mid-delivery delivers
after its restart (at least once), and two nodes sharing PostgreSQL deliver each event once."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from tests.conftest import _pg_exec, pg_skip_reason
from tests.receiver import Receiver
from tests.reliability import nodes

pytestmark = pytest.mark.slow
HOOK_ENV = {"AUTHGATE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8", "AUTHGATE_WEBHOOK_POLL_SECONDS": "0.2",
            "AUTHGATE_WEBHOOK_LEASE_SECONDS": "3", "AUTHGATE_RATE_LIMIT_STORAGE": ""}


def _wait(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _webhook(url: str, receiver: Receiver) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/webhook", headers=nodes.ADMIN, json={"webhook": {
        "url": receiver.url, "connectTimeout": 1000, "readTimeout": 20000, "global": True,
        "eventsEnabled": {"user.create": True}}})
    assert r.status_code == 200, r.text
    return r.json()["webhook"]


def _user(url: str, i: int) -> str:
    r = httpx.post(f"{url}/api/user", headers=nodes.ADMIN,
                   json={"user": {"email": f"u{i}@example.com", "password": "correct horse"}})
    assert r.status_code == 200, r.text
    return r.json()["user"]["id"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest):
    if request.param == "sqlite":
        yield dict(HOOK_ENV)
        return
    if pg_skip_reason():
        pytest.skip(pg_skip_reason())
    schema = nodes.new_schema()
    asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
    try:
        yield {**HOOK_ENV, **nodes.pg_env(schema)}
    finally:
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))


def test_a_node_killed_mid_delivery_delivers_after_restart(tmp_path: Path, env: dict[str, str]) -> None:
    receiver = Receiver(delay=30.0).start()  # holds the first request until the node is gone
    node = nodes.Node(tmp_path / "data", {"AUTHGATE_ISSUER": "http://idp.test", **env}, tmp_path / "node.log")
    try:
        node.start()
        webhook = _webhook(node.url, receiver)
        user_id = _user(node.url, 1)
        _wait("the first delivery to arrive", lambda: len(receiver.received) == 1)
        node.kill9()  # mid-delivery: the receiver has the request, the node never saw the answer
        receiver.delay = 0.0
        node.start()
        _wait("the redelivery after restart", lambda: len(receiver.received) >= 2)
        first, second = receiver.received[0].event, receiver.received[1].event
        assert first["id"] == second["id"] and second["user"]["id"] == user_id  # the same event, at least once
        def delivered() -> bool:
            rows = httpx.get(f"{node.url}/api/webhook/{webhook['id']}/delivery", headers=nodes.ADMIN).json()["deliveries"]
            return [r["state"] for r in rows] == ["delivered"]
        _wait("the delivery to be marked delivered", delivered)
    finally:
        node.stop()
        receiver.stop()


@pytest.mark.postgres
def test_two_nodes_on_postgresql_deliver_each_event_once(tmp_path: Path) -> None:
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    schema = nodes.new_schema()
    asyncio.run(_pg_exec(f"CREATE SCHEMA {schema}"))
    receiver = Receiver().start()
    try:
        env = {**HOOK_ENV, "AUTHGATE_WEBHOOK_LEASE_SECONDS": "60", **nodes.pg_env(schema)}
        with nodes.nodes(tmp_path, 2, env) as (a, b):
            _webhook(a.url, receiver)
            time.sleep(2.5)  # both nodes' webhook caches see it (CACHE_SECONDS)
            ids = [_user((a, b)[i % 2].url, i) for i in range(40)]
            _wait("40 deliveries", lambda: len(receiver.received) >= 40)
            time.sleep(1.5)  # any duplicate would arrive within a few polls
            counts = Counter(r.event["user"]["id"] for r in receiver.received)
            assert set(counts) == set(ids) and set(counts.values()) == {1}
            logs = (tmp_path / "node0.log").read_text() + (tmp_path / "node1.log").read_text()
            assert "Traceback" not in logs
    finally:
        receiver.stop()
        asyncio.run(_pg_exec(f"DROP SCHEMA {schema} CASCADE"))
