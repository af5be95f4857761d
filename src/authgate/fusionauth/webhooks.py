"""FusionAuth's Webhook API (`/api/webhook`, API key): create, retrieve, update, patch, delete.

Body: `{webhook: {url, connectTimeout, readTimeout, global, applicationIds, eventsEnabled,
headers, signatureConfiguration: {enabled, signingKeyId}, description}}` (authgate/webhooks/model.py).
A receiver on a private, loopback or link-local address is refused with a 400 on `webhook.url`
unless `AUTHGATE_WEBHOOK_ALLOWED_NETWORKS` lists it.

*Ours*: `GET /api/webhook/{id}/delivery?state=pending|delivered|dead` lists the outbox rows of a
webhook with their attempts, and `POST /api/webhook/delivery/{deliveryId}/resend` queues one again.
"""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from authgate import webhooks
from authgate.errors import ApiError, field_error, not_found
from authgate.fusionauth._admin import object_field
from authgate.fusionauth.auth import registry, require_api_key
from authgate.merge_patch import merge_patch
from authgate.shapes import Body
from authgate.storage.repos import Conflict
from authgate.storage.repos.webhooks import DEAD, DELIVERED, PENDING
from authgate.web.context import context
from authgate.webhooks.model import WEBHOOK
from authgate.web.bodies import declares, read_body

router = APIRouter(dependencies=[Depends(require_api_key)])
_BODY = Body(WEBHOOK, "webhook")


def _invalid(exc: webhooks.InvalidWebhook) -> ApiError:
    fields: dict[str, list[dict[str, str]]] = {}
    for field, code, message in exc.problems:
        fields.setdefault(field, []).append({"code": f"[{code}]{field}", "message": message})
    return ApiError(400, field_errors=fields)


async def _load(request: Request, webhook_id: uuid.UUID) -> dict[str, Any]:
    row = await registry(request).db.webhooks.get(str(webhook_id))
    if row is None:
        raise not_found("webhook")
    return row


@router.post("/api/webhook")
@router.post("/api/webhook/{webhook_id:uuid}")
@declares(_BODY)
async def create(request: Request, webhook_id: uuid.UUID | None = None) -> Response:
    reg = registry(request)
    body = object_field(await read_body(request), "webhook")
    wid = str(webhook_id) if webhook_id else None
    if wid and await reg.db.webhooks.get(wid) is not None:
        raise field_error("webhookId", "duplicate", "A webhook with this id already exists.")
    try:
        row = await webhooks.create(reg, body, wid, context(request))
    except webhooks.InvalidWebhook as exc:
        raise _invalid(exc) from None
    except Conflict:
        raise field_error("webhookId", "duplicate", "A webhook with this id already exists.") from None
    return JSONResponse({"webhook": webhooks.public(row)})


@router.get("/api/webhook")
async def list_all(request: Request) -> Response:
    rows = await registry(request).db.webhooks.list()
    return JSONResponse({"webhooks": [webhooks.public(r) for r in rows]})


@router.get("/api/webhook/{webhook_id:uuid}")
async def retrieve(request: Request, webhook_id: uuid.UUID) -> Response:
    return JSONResponse({"webhook": webhooks.public(await _load(request, webhook_id))})


async def _update(request: Request, webhook_id: uuid.UUID, patch: bool) -> Response:
    reg = registry(request)
    body = object_field(await read_body(request), "webhook")
    current = await _load(request, webhook_id)
    try:
        row = await webhooks.update(reg, current["id"], merge_patch(current["doc"], body) if patch else body,
                                    context(request))
    except webhooks.InvalidWebhook as exc:
        raise _invalid(exc) from None
    if row is None:
        raise not_found("webhook")
    return JSONResponse({"webhook": webhooks.public(row)})


@router.put("/api/webhook/{webhook_id:uuid}")
@declares(_BODY)
async def replace(request: Request, webhook_id: uuid.UUID) -> Response:
    return await _update(request, webhook_id, patch=False)


@router.patch("/api/webhook/{webhook_id:uuid}")
@declares(_BODY)
async def patch(request: Request, webhook_id: uuid.UUID) -> Response:
    return await _update(request, webhook_id, patch=True)


@router.delete("/api/webhook/{webhook_id:uuid}")
async def delete(request: Request, webhook_id: uuid.UUID) -> Response:
    if not await webhooks.delete(registry(request), str(webhook_id), context(request)):
        raise not_found("webhook")
    return Response(status_code=200)


def delivery_json(row: dict[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"], "webhookId": row["webhook_id"], "eventId": row["event_id"], "eventType": row["event_type"],
        "state": row["state"], "attempts": row["attempts"], "nextAttemptInstant": row["next_attempt_instant"],
        "insertInstant": row["insert_instant"], "doneInstant": row["done_instant"], "lastError": row["last_error"],
        "attemptLog": [{"instant": a["instant"], "statusCode": a["status_code"], "error": a["error"],
                        "durationInMilliseconds": a["duration_ms"]} for a in attempts],
    }


@router.get("/api/webhook/{webhook_id:uuid}/delivery")
async def deliveries(request: Request, webhook_id: uuid.UUID, state: str | None = None) -> Response:
    if state not in (None, PENDING, DELIVERED, DEAD):
        raise field_error("state", "invalid", "[state] must be one of pending, delivered or dead.")
    reg = registry(request)
    await _load(request, webhook_id)
    rows = await reg.db.webhook_deliveries.for_webhook(str(webhook_id), state)
    return JSONResponse({"deliveries": [delivery_json(r, await reg.db.webhook_deliveries.attempts(r["id"])) for r in rows]})


@router.post("/api/webhook/delivery/{delivery_id:uuid}/resend")
async def resend(request: Request, delivery_id: uuid.UUID) -> Response:
    if not await webhooks.resend(registry(request), str(delivery_id)):
        raise not_found("delivery")
    return Response(status_code=200)
