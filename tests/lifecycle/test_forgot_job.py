"""The hosted forgot-password form queues a job and answers (lifecycle/reset_password.py); the mail
sender runs it: a reset email for an address with a usable account, nothing otherwise, and nothing
for a request older than a reset link's lifetime (a mail server configured days later must not
send stale links)."""
from __future__ import annotations

from authgate.clock import clock
from authgate.lifecycle import reset_password
from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, link, mail_to, submit


async def test_only_an_address_with_an_account_gets_the_link(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    await make_user(registry, email="gone@example.com", password=STRONG, active=False)
    for email in ("nobody@example.com", "gone@example.com", "ADA@example.com"):
        assert (await submit(client, "/password/forgot", {"email": email})).status_code == 200
    assert await registry.db.outbox.pending_count() == 3  # three jobs; nothing looked up yet
    [msg] = await mail_to(registry, catcher, "ada@example.com")  # the sender's pass: jobs, then their emails
    assert link(msg, "/password/change/").startswith("http://idp.authgate.localhost:9011/password/change/")
    assert [m.recipients for m in catcher.inbox] == [["ada@example.com"]]
    assert await registry.db.outbox.pending_count() == 0


async def test_a_stale_request_is_dropped(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    assert (await submit(client, "/password/forgot", {"email": "ada@example.com"})).status_code == 200
    clock.advance(registry.settings.change_password_id_ttl_seconds + 1)
    assert await registry.mail.deliver_due() == 0
    assert catcher.inbox == [] and await registry.db.outbox.pending_count() == 0


async def test_a_sender_without_the_job_never_mails_its_row(registry, catcher):
    from authgate.mail.sender import Sender

    await reset_password.request(registry, "ada@example.com", None)
    bare = Sender(registry.db, registry.settings)  # e.g. an older node's sender
    assert await bare.deliver_due() == 0
    assert catcher.inbox == [] and await registry.db.outbox.pending_count() == 1  # left for a sender that can run it
