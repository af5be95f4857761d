"""Queue a templated email: render it now, store it in the outbox, nudge the sender."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authgate.registry import Registry


async def enqueue(reg: "Registry", recipient: str, template: str, **context: Any) -> str:
    """Returns the outbox id. The request that calls this never talks to the SMTP server."""
    rendered = reg.mail_templates.render(template, issuer=reg.issuer, **{"app_name": "authgate", **context})
    row_id = await reg.db.outbox.add(recipient, rendered.subject, rendered.text, rendered.html, template)
    reg.mail.wake()
    return row_id
