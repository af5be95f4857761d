"""Fixtures of the account-lifecycle tests: a real SMTP server (aiosmtpd) on a free port, and the
IdP's SMTP settings pointing at it."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from authgate_demo.mail_catcher import Caught, MailCatcher
from tests.e2e.harness import free_port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def catcher(smtp_port: int) -> Iterator[MailCatcher]:
    c = MailCatcher(smtp_port).start()
    yield c
    c.stop()


@pytest.fixture
def mail_settings(smtp_port: int) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False,
            "smtp_from": "Store <no-reply@store.example>", "smtp_timeout_seconds": 5}


@pytest.fixture
def settings_overrides(mail_settings: dict[str, Any]) -> dict[str, Any]:
    return mail_settings


async def delivered(reg: Any, catcher: MailCatcher, count: int) -> list[Caught]:
    """Run the sender's pass and wait (in a thread: aiosmtpd has its own loop) for `count` messages."""
    await reg.mail.deliver_due()
    return await asyncio.to_thread(catcher.wait_for, count, 10)
