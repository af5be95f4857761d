"""Email delivery: the outbox, the background sender over real SMTP (aiosmtpd), retries with
backoff, leases that survive a crash, templates and their overrides."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from authgate.clock import clock
from authgate.config import Settings
from authgate.mail import templates
from authgate.mail.outbox import enqueue
from authgate.mail.sender import LEASE_SECONDS, Sender, retry_delay_seconds
from authgate.registry import Registry
from authgate_demo.mail_catcher import MailCatcher
from tests.lifecycle.conftest import delivered

LINK = "http://idp.authgate.localhost:9011/email/verify/abc?client_id=x"


async def _queue(reg: Registry, to: str = "ada@example.com") -> str:
    return await enqueue(reg, to, templates.VERIFY_EMAIL, app_name="Store", name="Ada", email=to, link=LINK,
                         valid_for="24 hours")


async def test_a_queued_message_is_delivered_over_smtp_with_text_and_html(registry, catcher):
    row_id = await _queue(registry)
    [msg] = await delivered(registry, catcher, 1)
    assert msg.recipients == ["ada@example.com"] and msg.sender == "no-reply@store.example"
    assert msg.subject == "Confirm your email address for Store"
    assert LINK in msg.text and msg.html is not None and f'href="{LINK}"' in msg.html.replace("&amp;", "&")
    assert msg.message["Message-ID"] == f"<{row_id}@idp.authgate.localhost>"
    row = await registry.db.outbox.get(row_id)
    assert row["sent_instant"] and row["attempts"] == 1
    assert row["body_text"] == "" and row["body_html"] is None  # the link is not kept once sent
    assert await registry.mail.deliver_due() == 0  # sent once


async def test_smtp_down_for_a_minute_then_back_delivers_everything_once(registry, catcher):
    catcher.stop()  # the mail server is down
    ids = [await _queue(registry, f"user{i}@example.com") for i in range(3)]
    assert await registry.mail.deliver_due() == 0
    for row_id in ids:
        row = await registry.db.outbox.get(row_id)
        assert row["attempts"] == 1 and row["sent_instant"] is None and "Error" in row["last_error"]
        assert row["next_attempt_instant"] - clock.now_ms() == pytest.approx(retry_delay_seconds(1) * 1000, abs=2000)
    clock.advance(20)
    assert await registry.mail.deliver_due() == 0  # not due yet: no hammering of a down server
    catcher.start()  # back after a minute
    clock.advance(40)
    got = await delivered(registry, catcher, 3)
    assert sorted(r for m in got for r in m.recipients) == [f"user{i}@example.com" for i in range(3)]
    assert await registry.db.outbox.pending_count() == 0
    clock.advance(3600)
    assert await registry.mail.deliver_due() == 0 and len(catcher.inbox) == 3  # no duplicates


def test_backoff_doubles_up_to_an_hour():
    assert [retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay_seconds(30) == 3600


async def test_a_sender_that_died_holding_a_lease_is_taken_over_after_it_expires(registry, catcher):
    await _queue(registry)
    crashed = await registry.db.outbox.claim("crashed-node", 10, LEASE_SECONDS * 1000)  # then the node dies
    assert len(crashed) == 1
    assert await registry.mail.deliver_due() == 0 and catcher.inbox == []  # still leased
    clock.advance(LEASE_SECONDS + 1)
    [msg] = await delivered(registry, catcher, 1)
    assert msg.recipients == ["ada@example.com"]


async def test_two_senders_on_one_database_send_each_message_once(registry, catcher):
    for i in range(30):
        await _queue(registry, f"u{i}@example.com")
    other = Sender(registry.db, registry.settings)
    counts = await asyncio.gather(registry.mail.deliver_due(), other.deliver_due())
    assert sum(counts) == 30
    got = await asyncio.to_thread(catcher.wait_for, 30, 10)
    assert len(got) == 30 and len({m.recipients[0] for m in got}) == 30


async def test_the_running_sender_delivers_without_being_asked(registry, catcher):
    registry.mail.start()
    try:
        await _queue(registry)
        [msg] = await asyncio.to_thread(catcher.wait_for, 1, 10)
        assert msg.recipients == ["ada@example.com"]
    finally:
        await registry.mail.stop()


async def test_without_an_smtp_host_mail_stays_queued_and_says_so(tmp_path, caplog):
    reg = Registry(Settings(data_dir=tmp_path / "d", smtp_host=""))
    from authgate.web.app import start

    await start(reg)
    try:
        with caplog.at_level(logging.WARNING, logger="authgate.mail"):
            reg.mail.start()
        assert "AUTHGATE_SMTP_HOST is not set" in caplog.text
        row_id = await _queue(reg)
        await asyncio.sleep(0)
        assert (await reg.db.outbox.get(row_id))["sent_instant"] is None
        assert await reg.db.outbox.pending_count() == 1
    finally:
        await reg.close()


async def test_templates_are_overridden_from_a_directory(tmp_path: Path, catcher, mail_settings):
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "verify-email.subject").write_text("Welcome to {{ app_name }}!\nBcc: evil@example.com")
    (tmp_path / "tpl" / "verify-email.txt").write_text("Click {{ link }}")
    reg = Registry(Settings(data_dir=tmp_path / "d", mail_templates_dir=tmp_path / "tpl", **mail_settings))
    from authgate.web.app import start

    await start(reg)
    try:
        await _queue(reg)
        [msg] = await delivered(reg, catcher, 1)
        # The override's two lines became one subject: a template cannot add a header.
        assert msg.subject == "Welcome to Store! Bcc: evil@example.com" and msg.message["Bcc"] is None
        assert msg.text.strip() == f"Click {LINK}"
        assert msg.html is not None and "Confirm your email address" in msg.html  # the built-in HTML part
    finally:
        await reg.close()


async def test_a_hung_mail_server_never_holds_up_a_request(client, registry, smtp_port):
    """The SMTP server accepts connections and never answers (worse than down): the forgot-password
    request is answered at once while the sender waits; when a working server is back, the
    message goes out."""
    from tests.factories import make_user
    from tests.oauth2.conftest import form_fields

    accepted: list[asyncio.StreamWriter] = []

    async def black_hole(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # never greets, never answers

    server = await asyncio.start_server(black_hole, "127.0.0.1", smtp_port)
    await make_user(registry, email="ada@example.com", password="tangerine orbit 42")
    registry.mail.start()
    try:
        fields = form_fields((await client.get("/password/forgot")).text)
        r = await asyncio.wait_for(client.post("/password/forgot", data={**fields, "email": "ada@example.com"}), 30)
        assert r.status_code == 200 and "Check your email" in r.text
        for _ in range(100):
            if accepted:
                break
            await asyncio.sleep(0.05)
        assert accepted  # the sender is talking to the hung server meanwhile
        assert await registry.db.outbox.pending_count() == 1
    finally:
        await registry.mail.stop()
        server.close()
        for w in accepted:
            w.close()
        await server.wait_closed()
    catcher = MailCatcher(smtp_port).start()
    try:
        clock.advance(3600)
        [msg] = await delivered(registry, catcher, 1)
        assert msg.subject.startswith("Reset your") and msg.recipients == ["ada@example.com"]
    finally:
        catcher.stop()
