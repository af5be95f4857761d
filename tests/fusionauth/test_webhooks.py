"""Webhooks with a real HTTP receiver: CRUD, delivery, signature, retries, dead letter, SSRF."""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.clock import clock
from tests.factories import make_application, make_user
from tests.receiver import Receiver


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "webhook_allowed_networks": "127.0.0.0/8",
            "webhook_max_attempts": 3}


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


def hook(url: str, **more: Any) -> dict[str, Any]:
    return {"webhook": {"url": url, "connectTimeout": 1000, "readTimeout": 1000, "global": True,
                        "eventsEnabled": {"user.create": True, "user.login.success": True}, **more}}


async def deliver(registry) -> None:
    registry.webhooks.start() if registry.webhooks.deliverer is None else None
    d = registry.webhooks.deliverer
    await d.stop()  # no background loop: the test decides when to poll
    while await d.run_once():
        await d.drain()


async def deliveries(client, admin, webhook_id) -> list[dict[str, Any]]:
    r = await client.get(f"/api/webhook/{webhook_id}/delivery", headers=admin)
    assert r.status_code == 200
    return r.json()["deliveries"]


async def test_delivery_is_signed_with_the_chosen_key_and_verifies_with_the_jwks(client, registry, admin, receiver):
    key = (await client.post("/api/key/generate", json={"key": {"algorithm": "ES256", "name": "hooks"}}, headers=admin)).json()["key"]
    r = await client.post("/api/webhook", headers=admin, json=hook(
        receiver.url, headers={"X-Team": "ops"}, signatureConfiguration={"enabled": True, "signingKeyId": key["id"]}))
    assert r.status_code == 200, r.text
    webhook = r.json()["webhook"]
    assert webhook["signatureConfiguration"] == {"enabled": True, "signingKeyId": key["id"]}
    user = (await client.post("/api/user", json={"user": {"email": "ann@example.com", "password": "correct horse"}},
                              headers={**admin, "User-Agent": "curl/8"})).json()["user"]
    await deliver(registry)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    event = got.event
    assert event["type"] == "user.create" and event["user"]["id"] == user["id"] and event["userId"] == user["id"]
    assert event["info"]["userAgent"] == "curl/8" and "correct horse" not in json.dumps(event)
    assert got.headers["x-team"] == "ops" and got.headers["content-type"] == "application/json"
    # The receiver's side of FusionAuth's signature: kid -> JWKS key, then the body's hash.
    token = got.headers["x-fusionauth-signature-jwt"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    decoded = jwt.decode(token, KeySet.import_key_set(jwks))
    assert decoded.header["kid"] == key["id"] and decoded.header["alg"] == "ES256"
    assert decoded.claims["request_body_sha256"] == base64.b64encode(hashlib.sha256(got.body).digest()).decode()
    [row] = await deliveries(client, admin, webhook["id"])
    assert row["state"] == "delivered" and row["attemptLog"][0]["statusCode"] == 200
    # Delivered means delivered: another poll sends nothing.
    await deliver(registry)
    assert len(receiver.received) == 1


async def test_500_then_recovery_retries_with_backoff(client, registry, admin, receiver):
    webhook = (await client.post("/api/webhook", json=hook(receiver.url), headers=admin)).json()["webhook"]
    receiver.status = 500
    await make_user(registry)
    await client.post("/api/user", json={"user": {"email": "bob@example.com", "password": "correct horse"}}, headers=admin)
    await deliver(registry)
    [row] = await deliveries(client, admin, webhook["id"])
    assert row["state"] == "pending" and row["lastError"] == "HTTP 500" and row["attemptLog"][0]["statusCode"] == 500
    assert row["nextAttemptInstant"] >= clock.now_ms() + 9_000  # not retried at once
    await deliver(registry)
    assert len(receiver.received) == 1
    receiver.status = 204
    clock.advance(12)
    await deliver(registry)
    [row] = await deliveries(client, admin, webhook["id"])
    assert row["state"] == "delivered" and [a["statusCode"] for a in row["attemptLog"]] == [500, 204]
    assert len(receiver.received) == 2 and receiver.received[0].body == receiver.received[1].body


@pytest.mark.parametrize("trouble", ["down", "slow", "redirect"])
async def test_unreachable_slow_and_redirecting_receivers_are_retried_then_dead_lettered(client, registry, admin, receiver, trouble):
    url = receiver.url
    target = Receiver().start()
    try:
        if trouble == "down":
            receiver.stop()
        elif trouble == "slow":
            receiver.delay = 1.5  # longer than readTimeout
        else:
            receiver.status, receiver.location = 302, target.url
        webhook = (await client.post("/api/webhook", json=hook(url, readTimeout=300), headers=admin)).json()["webhook"]
        await client.post("/api/user", json={"user": {"email": "bob@example.com", "password": "correct horse"}}, headers=admin)
        for _ in range(3):  # webhook_max_attempts
            await deliver(registry)
            clock.advance(3600)
        [row] = await deliveries(client, admin, webhook["id"])
        assert row["state"] == "dead" and len(row["attemptLog"]) == 3
        error = row["attemptLog"][0]["error"]
        assert {"down": "ConnectError", "slow": "timed out", "redirect": "redirects are not followed"}[trouble] in error
        assert target.received == []  # a redirect is never followed
        await deliver(registry)
        assert len((await deliveries(client, admin, webhook["id"]))[0]["attemptLog"]) == 3  # dead stays dead
        # The console's "resend" brings it back once the receiver is healthy again.
        healthy = Receiver().start()
        try:
            assert (await client.patch(f"/api/webhook/{webhook['id']}", json={"webhook": {"url": healthy.url,
                    "readTimeout": 1000}}, headers=admin)).status_code == 200
            assert (await client.post(f"/api/webhook/delivery/{row['id']}/resend", headers=admin)).status_code == 200
            await deliver(registry)
            assert len(healthy.received) == 1
            assert (await deliveries(client, admin, webhook["id"]))[0]["state"] == "delivered"
        finally:
            healthy.stop()
    finally:
        target.stop()


async def test_per_application_webhooks_get_only_their_applications_events(client, registry, admin, receiver):
    store, forums = await make_application(registry, "Store"), await make_application(registry, "Forums")
    await make_user(registry, apps=[store, forums])
    body = hook(receiver.url, applicationIds=[forums["id"]])
    body["webhook"]["global"] = False
    assert (await client.post("/api/webhook", json=body, headers=admin)).status_code == 200
    for app in (store, forums):
        r = await client.post("/api/login", json={"loginId": "richard@example.com", "password": "password",
                                                  "applicationId": app["id"]})
        assert r.status_code == 200
        client.cookies.clear()
    await deliver(registry)
    assert [(e.event["type"], e.event["applicationId"]) for e in receiver.received] == [("user.login.success", forums["id"])]


async def test_crud_and_validation(client, registry, admin, receiver):
    created = (await client.post("/api/webhook", json=hook(receiver.url, description="ops"), headers=admin)).json()["webhook"]
    wid = created["id"]
    assert (await client.get(f"/api/webhook/{wid}", headers=admin)).json()["webhook"]["description"] == "ops"
    assert [w["id"] for w in (await client.get("/api/webhook", headers=admin)).json()["webhooks"]] == [wid]
    replaced = await client.put(f"/api/webhook/{wid}", json=hook(receiver.url, eventsEnabled={"user.delete": True}), headers=admin)
    assert replaced.status_code == 200 and replaced.json()["webhook"]["eventsEnabled"] == {"user.delete": True}
    assert "description" not in replaced.json()["webhook"]
    for junk in ({"connectTimeout": 0}, {"readTimeout": "fast"}, {"url": "ftp://example.com/"}, {"url": "http://u:p@127.0.0.1/"},
                 {"eventsEnabled": {"user.teleport": True}}, {"headers": {"Host": "evil"}}, {"headers": {"X-A": "1\r\nX-B: 2"}},
                 {"signatureConfiguration": {"enabled": True}}, {"signatureConfiguration": {"enabled": True, "signingKeyId": "nope"}},
                 {"global": "yes"}, {"applicationIds": "all"}):
        r = await client.patch(f"/api/webhook/{wid}", json={"webhook": junk}, headers=admin)
        assert r.status_code == 400, (junk, r.text)
    assert (await client.get(f"/api/webhook/{wid}", headers=admin)).json()["webhook"]["eventsEnabled"] == {"user.delete": True}
    assert (await client.delete(f"/api/webhook/{wid}", headers=admin)).status_code == 200
    assert (await client.get(f"/api/webhook/{wid}", headers=admin)).status_code == 404
    assert (await client.delete(f"/api/webhook/{wid}", headers=admin)).status_code == 404
    audit = (await client.get("/api/system/audit-log/search", params={"message": "webhook."}, headers=admin)).json()
    assert [e["eventType"] for e in audit["auditLogs"]] == ["webhook.delete", "webhook.update", "webhook.create"]


@pytest.mark.parametrize("settings_overrides", [{"webhook_allowed_networks": ""}])
async def test_loopback_private_and_link_local_receivers_are_refused_unless_allowed(client, admin, receiver):
    for url in (receiver.url, "http://localhost:9/hook", "http://10.0.0.8/hook", "http://169.254.169.254/latest/meta-data",
                "http://[::1]:8080/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://192.168.1.1/"):
        r = await client.post("/api/webhook", json=hook(url), headers=admin)
        assert r.status_code == 400, url
        assert r.json()["fieldErrors"]["webhook.url"][0]["code"] == "[invalid]webhook.url"
    assert (await client.get("/api/webhook", headers=admin)).json()["webhooks"] == []


async def test_an_address_that_turns_private_after_creation_is_refused_at_delivery(client, registry, admin, receiver):
    webhook = (await client.post("/api/webhook", json=hook(receiver.url), headers=admin)).json()["webhook"]
    registry.webhooks.allowed = ()  # the operator narrowed the allowed networks (or DNS now answers 127.0.0.1)
    await client.post("/api/user", json={"user": {"email": "bob@example.com", "password": "correct horse"}}, headers=admin)
    await deliver(registry)
    assert receiver.received == []
    [row] = await deliveries(client, admin, webhook["id"])
    assert row["state"] == "pending" and row["attemptLog"][0]["error"].startswith("refused:")
