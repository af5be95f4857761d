"""A mail catcher for the demo and the tests: a real SMTP server (aiosmtpd) that keeps every
message it accepts in memory, and a small inbox page listing them with their links clickable.

`authgate demo` points the IdP's SMTP settings at it, so the verification and reset emails a
person triggers by hand land in the inbox page instead of nowhere.
"""
from __future__ import annotations

import email
import email.policy
import re
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from html import escape
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Caught:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str | None:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else None

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)


@dataclass
class _Handler:
    inbox: list[Caught] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.arrived:
            self.inbox.append(Caught(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class MailCatcher:
    """`start()` / `stop()` an SMTP server on 127.0.0.1:`port`; messages survive a restart."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self._handler = _Handler()
        self._controller: Controller | None = None

    @property
    def inbox(self) -> list[Caught]:
        return self._handler.inbox

    def start(self) -> "MailCatcher":
        self._controller = Controller(self._handler, hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Caught]:
        return [m for m in self.inbox if address.lower() in (r.lower() for r in m.recipients)]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Caught]:
        """Block (a thread; use asyncio.to_thread from async code) until `count` messages arrived."""
        with self._handler.arrived:
            self._handler.arrived.wait_for(lambda: len(self.inbox) >= count, timeout)
        return list(self.inbox)


def inbox_app(catcher: MailCatcher) -> Any:
    """The inbox page: newest first, each message's text with its links clickable."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    def linkify(text: str) -> str:
        out, last = [], 0
        for m in LINK.finditer(text):
            out.append(escape(text[last:m.start()]))
            out.append(f'<a href="{escape(m.group(0))}">{escape(m.group(0))}</a>')
            last = m.end()
        out.append(escape(text[last:]))
        return "".join(out)

    async def page(request: Any) -> HTMLResponse:
        items = []
        for i, m in reversed(list(enumerate(catcher.inbox))):
            items.append(f'<article id="message-{i}"><h2>{escape(m.subject)}</h2>'
                         f'<p class="meta">To {escape(", ".join(m.recipients))} &middot; from {escape(m.sender)}</p>'
                         f"<pre>{linkify(m.text)}</pre></article>")
        body = "".join(items) or "<p>No messages yet. Sign up or use “Forgot password?” on a login page.</p>"
        html = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Demo inbox</title>"
                "<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem;color:#1f2933}"
                "article{border:1px solid #d1d5db;border-radius:8px;padding:0 1rem 1rem;margin:1rem 0}"
                "pre{white-space:pre-wrap;font:inherit}.meta{color:#6b7280;font-size:.9rem}</style></head>"
                f"<body><h1>Demo inbox</h1><p class=meta>Every email authgate sent in this demo "
                f"(SMTP on {catcher.host}:{catcher.port}). Reload for new ones.</p>{body}</body></html>")
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    return Starlette(routes=[Route("/", page)])
