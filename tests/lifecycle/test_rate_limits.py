"""Sign-up and forgot-password are limited per client IP (429) and per address (the same page,
but no more emails: a mailbox cannot be flooded through our forms)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_user
from tests.lifecycle.helpers import STRONG, mail_to
from tests.oauth2.conftest import form_fields


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return {**mail_settings, "rate_limit_storage": "memory://", "rate_limit_login": "6/minute",
            "rate_limit_email": "2/minute"}


async def test_one_address_gets_at_most_the_limit_of_emails(client, registry, catcher):
    await make_user(registry, email="ada@example.com", password=STRONG)
    fields = form_fields((await client.get("/password/forgot")).text)
    pages = [await client.post("/password/forgot", data={**fields, "email": "ada@example.com"}) for _ in range(4)]
    assert [p.status_code for p in pages] == [200] * 4 and len({p.text for p in pages}) == 1
    await mail_to(registry, catcher, "ada@example.com", 2)
    await registry.mail.deliver_due()
    assert len(catcher.to("ada@example.com")) == 2


async def test_one_client_ip_is_slowed_down_with_429(client, registry):
    fields = form_fields((await client.get("/password/forgot")).text)
    statuses = [(await client.post("/password/forgot", data={**fields, "email": f"u{i}@example.com"})).status_code
                for i in range(8)]
    assert statuses[:6] == [200] * 6 and statuses[6:] == [429, 429]
    r = await client.post("/api/user/change-password/whatever-id-0123456789", json={"password": "x"})
    assert r.status_code in (404, 429)
