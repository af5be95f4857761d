"""Webhooks: events pushed to the operator's systems from a durable outbox.

`emit` (authgate/events.py) calls `enqueue` for every event: one outbox row per webhook that
wants it (`model.wants`), written right after the event's own record; the deliverer
(`deliver.py`, a background task of each node) sends it. The webhook list is cached per node for
`CACHE_SECONDS`, so an event nobody listens to costs no database work, and the login path pays
for webhooks only when some webhook asked for logins.

The functions below are the one way to create, change, delete and resend, used by the FusionAuth
API (`fusionauth/webhooks.py`) and the admin console alike.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from authgate import events
from authgate.events import Event, RequestContext
from authgate.webhooks import model, ssrf

if TYPE_CHECKING:
    from authgate.registry import Registry
    from authgate.storage.transaction import Tx
    from authgate.webhooks.deliver import Deliverer

CACHE_SECONDS = 2.0


class InvalidWebhook(ValueError):
    def __init__(self, problems: list[model.Problem]) -> None:
        super().__init__("; ".join(p[2] for p in problems))
        self.problems = problems


class WebhookService:
    """Per-registry state: the cached webhook list and this node's deliverer."""

    def __init__(self, reg: "Registry") -> None:
        self.reg = reg
        self.allowed = ssrf.networks(reg.settings.webhook_allowed_networks)
        self._cached: list[dict[str, Any]] | None = None
        self._loaded = -1e9
        self.deliverer: "Deliverer | None" = None

    async def all(self) -> list[dict[str, Any]]:
        if self._cached is None or time.monotonic() - self._loaded > CACHE_SECONDS:
            self._cached, self._loaded = await self.reg.db.webhooks.list(), time.monotonic()
        return self._cached

    def invalidate(self) -> None:
        self._cached = None

    def start(self) -> None:
        from authgate.webhooks.deliver import Deliverer

        if self.deliverer is None:
            self.deliverer = Deliverer(self.reg)
        self.deliverer.start()

    async def stop(self) -> None:
        if self.deliverer is not None:
            await self.deliverer.stop()


def event_body(event: Event) -> str:
    """FusionAuth's webhook body: `{"event": {type, id, createInstant, applicationId, info, ...}}`."""
    body: dict[str, Any] = {"id": event.id, "type": event.type, "createInstant": event.instant}
    if event.application_id:
        body["applicationId"] = event.application_id
    if event.user_id:
        body["userId"] = event.user_id
    info = {k: v for k, v in (("ipAddress", event.context.ip), ("userAgent", event.context.user_agent)) if v}
    if info:
        body["info"] = info
    for key, value in event.payload.items():
        body.setdefault(key, value)
    return json.dumps({"event": body}, separators=(",", ":"), sort_keys=True)


async def enqueue(reg: "Registry", event: Event, tx: "Tx | None" = None) -> None:
    """The events sink: one outbox row per interested webhook (in the event's transaction, if any)."""
    service: WebhookService | None = getattr(reg, "webhooks", None)
    if service is None:
        return
    targets = [w for w in await service.all() if model.wants(w["doc"], event.type, event.application_id)]
    if not targets:
        return
    body = event_body(event)
    for webhook in targets:
        await reg.db.webhook_deliveries.add(webhook["id"], event.id, event.type, body, tx)
    if service.deliverer is not None:
        service.deliverer.wake()


events.add_sink(enqueue)


async def _checked(reg: "Registry", webhook: dict[str, Any]) -> dict[str, Any]:
    doc, problems = model.validate(webhook)
    if not problems:
        try:
            await ssrf.resolve(doc["url"], reg.webhooks.allowed)
        except ssrf.Refused as exc:
            problems.append(("webhook.url", "invalid", f"The [url] is not allowed: {exc}."))
        key_id = (doc.get("signatureConfiguration") or {}).get("signingKeyId")
        if doc["signatureConfiguration"].get("enabled") and key_id and await reg.keys.get(key_id) is None:
            problems.append(("webhook.signatureConfiguration.signingKeyId", "invalid",
                             "The [signingKeyId] does not identify a signing key."))
    if problems:
        raise InvalidWebhook(problems)
    return doc


async def create(reg: "Registry", webhook: dict[str, Any], webhook_id: str | None = None,
                 ctx: RequestContext | None = None) -> dict[str, Any]:
    doc = await _checked(reg, webhook)
    async with events.recorded(reg) as tx:  # the webhook and its event: one transaction
        row = await reg.db.webhooks.create(doc, webhook_id, tx)
        tx.after_commit(reg.webhooks.invalidate)
        await events.emit(reg, events.WEBHOOK_CREATE, ctx, payload={"webhook": public(row)}, tx=tx)
    return row


async def update(reg: "Registry", webhook_id: str, webhook: dict[str, Any],
                 ctx: RequestContext | None = None) -> dict[str, Any] | None:
    doc = await _checked(reg, webhook)
    async with events.recorded(reg) as tx:  # the change and its event: one transaction
        if not await reg.db.webhooks.replace(webhook_id, doc, tx):
            return None
        tx.after_commit(reg.webhooks.invalidate)
        row = await reg.db.webhooks.get(webhook_id, tx)
        if row is not None:
            await events.emit(reg, events.WEBHOOK_UPDATE, ctx, payload={"webhook": public(row)}, tx=tx)
    return row


async def delete(reg: "Registry", webhook_id: str, ctx: RequestContext | None = None) -> bool:
    async with events.recorded(reg) as tx:  # the removal and its event: one transaction
        if not await reg.db.webhooks.delete(webhook_id, tx):
            return False
        tx.after_commit(reg.webhooks.invalidate)
        await events.emit(reg, events.WEBHOOK_DELETE, ctx, payload={"webhookId": webhook_id}, tx=tx)
    return True


async def resend(reg: "Registry", delivery_id: str) -> bool:
    """Queue a delivered or dead-lettered delivery again (the console's "resend")."""
    async with events.recorded(reg) as tx:
        done = await reg.db.webhook_deliveries.resend(delivery_id, tx)
        if done:  # no FusionAuth event type for it: a plain audit entry says who asked, with the change
            await events.emit(reg, events.AUDIT_LOG_CREATE, message=f"Webhook delivery {delivery_id} queued again",
                              payload={"deliveryId": delivery_id}, tx=tx)
    if done and reg.webhooks.deliverer is not None:
        reg.webhooks.deliverer.wake()
    return done


def public(row: dict[str, Any]) -> dict[str, Any]:
    """FusionAuth's Webhook JSON."""
    return {**row["doc"], "id": row["id"], "insertInstant": row["insert_instant"],
            "lastUpdateInstant": row["last_update_instant"]}
