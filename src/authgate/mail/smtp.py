"""One delivery over SMTP (aiosmtplib): the outbox row becomes a MIME message (text, plus an
HTML alternative when the template has one) and is handed to the configured server."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib

from authgate.config import Settings


def build_message(settings: Settings, row: dict[str, Any]) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = row["recipient"]
    msg["Subject"] = row["subject"]
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    # The outbox id in the Message-ID: a redelivery after a crash carries the same one, so mail
    # systems can tell the duplicate (at-least-once delivery).
    domain = urlsplit(settings.resolved_issuer).hostname or "authgate"
    msg["Message-ID"] = f"<{row['id']}@{domain}>" if row.get("id") else make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    msg.set_content(row["body_text"])
    if row.get("body_html"):
        msg.add_alternative(row["body_html"], subtype="html")
    return msg


async def deliver(settings: Settings, row: dict[str, Any]) -> None:
    """Send one message; raises on any failure (the caller schedules the retry)."""
    await aiosmtplib.send(
        build_message(settings, row),
        hostname=settings.smtp_host, port=settings.smtp_port,
        username=settings.smtp_username or None, password=settings.smtp_password or None,
        use_tls=settings.smtp_tls, start_tls=False if settings.smtp_tls else settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )
