"""The overview's chart and failures, the audit log and login records pages, and webhooks with
their deliveries and "resend" (a real HTTP receiver)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.admin.conftest import ADMIN_EMAIL, PASSWORD, USER_EMAIL, Console, post
from tests.receiver import Receiver


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "webhook_allowed_networks": "127.0.0.0/8"}


@pytest.fixture
def receiver():  # noqa: ANN201
    r = Receiver().start()
    yield r
    r.stop()


async def _deliver(console: Console) -> None:
    """Run the deliverer by hand (no background loop): the test decides when it polls."""
    service = console.reg.webhooks
    if service.deliverer is None:
        service.start()
    await service.deliverer.stop()
    while await service.deliverer.run_once():
        await service.deliverer.drain()


async def test_overview_counts_logins_per_hour_and_lists_failures(console: Console) -> None:
    for _ in range(3):
        assert (await console.anon.post("/api/login", json={"loginId": USER_EMAIL, "password": PASSWORD})).status_code == 200
    assert (await console.anon.post("/api/login", json={"loginId": "<b>nobody</b>@example.com", "password": "x"})).status_code == 404
    page = (await console.admin.get("/admin/")).text
    # Three API logins plus the two console sign-ins of the fixture, all in the current hour.
    assert "peak 5" in page and re.search(r"<td>[0-9-]+ [0-9]+:00</td><td>5</td>", page)
    assert "&lt;b&gt;nobody&lt;/b&gt;@example.com" in page and "<b>nobody" not in page


async def test_audit_log_filters_and_refuses_junk(console: Console) -> None:
    page = f"/admin/users/{console.plain_user['id']}"
    assert (await post(console.admin, page, f"{page}/state", {"action": "deactivate"})).status_code == 303
    r = await console.admin.get("/admin/audit", params={"user": ADMIN_EMAIL})
    assert r.status_code == 200 and "user.deactivate" in r.text and f"admin:{ADMIN_EMAIL}" in r.text
    r = await console.admin.get("/admin/audit", params={"message": "no such words anywhere"})
    assert r.status_code == 200 and "No entries." in r.text
    r = await console.admin.get("/admin/audit", params={"start": "not a date"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text


async def test_login_records_page(console: Console) -> None:
    assert (await console.anon.post("/api/login", json={"loginId": USER_EMAIL, "password": PASSWORD})).status_code == 200
    r = await console.admin.get("/admin/logins", params={"userId": console.plain_user["id"]})
    assert r.status_code == 200 and r.text.count(USER_EMAIL) >= 2 and ADMIN_EMAIL not in r.text.split("<main")[1]


async def test_webhook_delivery_attempts_and_resend(console: Console, receiver: Receiver) -> None:
    r = await post(console.admin, "/admin/webhooks/new", "/admin/webhooks/new",
                   {"url": receiver.url, "connectTimeout": "1000", "readTimeout": "1000", "global": "on",
                    "events": ["user.create"], "description": "<i>crm</i>"})
    assert r.status_code == 303, r.text[:500]
    hook_page = r.headers["location"].split("?")[0]
    created = await post(console.admin, "/admin/users/new", "/admin/users/new",
                         {"email": "hooked@example.com", "password": PASSWORD})
    assert created.status_code == 303
    await _deliver(console)
    assert [x.event["type"] for x in receiver.received] == ["user.create"]
    detail = (await console.admin.get(hook_page)).text
    assert "delivered" in detail and ": 200" in detail and "&lt;i&gt;crm&lt;/i&gt;" in detail
    delivery_id = re.search(r'name="deliveryId" value="([^"]+)"', detail).group(1)
    assert (await post(console.admin, hook_page, f"{hook_page}/resend", {"deliveryId": delivery_id})).status_code == 303
    await _deliver(console)
    assert len(receiver.received) == 2 and receiver.received[1].event["id"] == receiver.received[0].event["id"]
    audit = (await console.admin.get("/admin/audit", params={"message": "queued again"})).text
    assert f"Webhook delivery {delivery_id} queued again" in audit and f"admin:{ADMIN_EMAIL}" in audit


async def test_webhook_form_shows_the_apis_refusals(console: Console) -> None:
    r = await post(console.admin, "/admin/webhooks/new", "/admin/webhooks/new",
                   {"url": "http://10.1.2.3/hook", "connectTimeout": "0", "readTimeout": "1000"})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    assert await console.reg.db.webhooks.list() == []


async def test_a_webhooks_tls_certificate_is_set_in_the_console(console: Console, receiver: Receiver, tmp_path) -> None:  # noqa: ANN001
    from tests.fusionauth.test_webhook_https import self_signed

    form = {"url": receiver.url.replace("http:", "https:"), "connectTimeout": "1000", "readTimeout": "1000", "global": "on"}
    bad = await post(console.admin, "/admin/webhooks/new", "/admin/webhooks/new", {**form, "sslCertificate": "<b>not PEM</b>"})
    assert bad.status_code == 400 and 'id="err-sslCertificate"' in bad.text and "<b>not PEM" not in bad.text
    pem = self_signed(tmp_path, "receiver")[0]
    r = await post(console.admin, "/admin/webhooks/new", "/admin/webhooks/new",
                   {**form, "sslCertificate": pem.replace("\n", "\r\n")})  # as a textarea posts it
    assert r.status_code == 303, r.text[:500]
    [hook] = await console.reg.db.webhooks.list()
    assert hook["doc"]["sslCertificate"] == pem
    page = r.headers["location"].split("?")[0]
    assert pem.splitlines()[1] in (await console.admin.get(page)).text
    cleared = await post(console.admin, page, page, {**form, "sslCertificate": ""})
    assert cleared.status_code == 303 and not (await console.reg.db.webhooks.get(hook["id"]))["doc"].get("sslCertificate")
