"""Console: webhooks, their deliveries with every attempt, and "resend" -- through
`authgate.webhooks` (create, update, delete, resend), the functions the FusionAuth Webhook API
calls, so the SSRF guard, validation and audit events are the same."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from authgate import webhooks
from authgate.admin.forms import number
from authgate.admin.render import render
from authgate.admin.session import Admin, Form, missing, require_admin, require_admin_form, see_other
from authgate.events import EVENT_TYPES

router = APIRouter()
EVENTS = sorted(EVENT_TYPES)
NOTICES = {"created": "Webhook created.", "saved": "Changes saved.", "deleted": "Webhook deleted.",
           "resent": "Delivery queued again."}


def _from_form(form: Form, current: dict[str, Any]) -> dict[str, Any]:
    key = form.get("signingKeyId")
    certificate = form.get("sslCertificate").replace("\r\n", "\n").strip()  # a textarea posts CRLF
    return {**current, "sslCertificate": certificate + "\n" if certificate else None,
            "url": form.get("url"), "description": form.get("description") or None,
            "connectTimeout": number(form.get("connectTimeout")), "readTimeout": number(form.get("readTimeout")),
            "global": form.checked("global"), "applicationIds": form.getlist("applicationIds"),
            "eventsEnabled": {e: True for e in EVENTS if e in form.getlist("events")},
            "signatureConfiguration": {"enabled": bool(key), **({"signingKeyId": key} if key else {})}}


def _errors(exc: webhooks.InvalidWebhook) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for field, _, text in exc.problems:
        out.setdefault(field.removeprefix("webhook.").removeprefix("signatureConfiguration."), []).append(text)
    return out


async def _page(admin: Admin, hook: dict[str, Any] | None, doc: dict[str, Any], errors: dict[str, list[str]],
                status: int = 200, notice: str | None = None) -> Response:
    db = admin.reg.db
    deliveries = []
    if hook is not None:
        for d in await db.webhook_deliveries.for_webhook(hook["id"]):
            deliveries.append({**d, "attempt_log": await db.webhook_deliveries.attempts(d["id"])})
    keys = [k for k in await db.signing_keys.list() if k["retire_instant"] is None]
    return render("webhook.html", status=status, admin=admin, section="webhooks", csrf_token=admin.csrf_token,
                  hook=hook, doc=doc, errors=errors, events=EVENTS, apps=await db.applications.list(), keys=keys,
                  deliveries=deliveries, notice=notice)


async def _load(admin: Admin, webhook_id: str) -> dict[str, Any]:
    row = await admin.reg.db.webhooks.get(webhook_id) if len(webhook_id) <= 36 else None
    if row is None:
        raise missing(admin, "webhook", "/admin/webhooks")
    return row


@router.get("/admin/webhooks", include_in_schema=False)
async def list_webhooks(request: Request, admin: Admin = Depends(require_admin)) -> Response:
    db = admin.reg.db
    hooks = [{**webhooks.public(w), "counts": await db.webhook_deliveries.counts(w["id"])} for w in await db.webhooks.list()]
    return render("webhooks.html", admin=admin, section="webhooks", csrf_token=admin.csrf_token, hooks=hooks,
                  notice=NOTICES.get(request.query_params.get("done", "")))


@router.get("/admin/webhooks/new", include_in_schema=False)
async def new_form(admin: Admin = Depends(require_admin)) -> Response:
    return await _page(admin, None, {"connectTimeout": 1000, "readTimeout": 2000, "global": True}, {})


@router.post("/admin/webhooks/new", include_in_schema=False)
async def create(posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    doc = _from_form(form, {})
    try:
        row = await webhooks.create(admin.reg, doc)
    except webhooks.InvalidWebhook as exc:
        return await _page(admin, None, doc, _errors(exc), status=400)
    return see_other(f"/admin/webhooks/{row['id']}", "created")


@router.get("/admin/webhooks/{webhook_id}", include_in_schema=False)
async def detail(request: Request, webhook_id: str, admin: Admin = Depends(require_admin)) -> Response:
    row = await _load(admin, webhook_id)
    return await _page(admin, webhooks.public(row), row["doc"], {}, notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/admin/webhooks/{webhook_id}", include_in_schema=False)
async def save(webhook_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    row = await _load(admin, webhook_id)
    doc = _from_form(form, row["doc"])
    try:
        await webhooks.update(admin.reg, row["id"], doc)
    except webhooks.InvalidWebhook as exc:
        return await _page(admin, webhooks.public(row), doc, _errors(exc), status=400)
    return see_other(f"/admin/webhooks/{row['id']}", "saved")


@router.post("/admin/webhooks/{webhook_id}/delete", include_in_schema=False)
async def delete(webhook_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, _ = posted
    row = await _load(admin, webhook_id)
    await webhooks.delete(admin.reg, row["id"])
    return see_other("/admin/webhooks", "deleted")


@router.post("/admin/webhooks/{webhook_id}/resend", include_in_schema=False)
async def resend(webhook_id: str, posted: tuple[Admin, Form] = Depends(require_admin_form)) -> Response:
    admin, form = posted
    row = await _load(admin, webhook_id)
    delivery = await admin.reg.db.webhook_deliveries.get(form.get("deliveryId")[:36])
    if delivery is None or delivery["webhook_id"] != row["id"]:
        return await _page(admin, webhooks.public(row), row["doc"], {"general": ["No such delivery."]}, status=400)
    await webhooks.resend(admin.reg, delivery["id"])
    return see_other(f"/admin/webhooks/{row['id']}", "resent")
