"""What a webhook is: FusionAuth's Webhook object, checked once for the API and the console.

`{url, connectTimeout, readTimeout, global, applicationIds, eventsEnabled, headers,
signatureConfiguration: {enabled, signingKeyId}, sslCertificate, description, data}`.
`sslCertificate` (FusionAuth's, for a receiver with a self-signed certificate): PEM certificates
that an https receiver's certificate must chain to, instead of the system's trusted CAs. Timeouts are in
milliseconds, as in FusionAuth; *ours*: each at most 20 s (so a delivery fits in its lease),
event names must be known, and headers may not replace the ones the delivery sets itself.
"""
from __future__ import annotations

import re
from typing import Any

from cryptography import x509

from authgate.events import EVENT_TYPES
from authgate.shapes import ListOf, Shape

MAX_TIMEOUT_MS = 20_000
MAX_HEADERS = 20
MAX_CERTIFICATE_CHARS = 16_384
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")  # RFC 9110 section 5.6.2
_RESERVED_HEADERS = {"host", "content-length", "content-type", "transfer-encoding", "connection",
                     "x-fusionauth-signature-jwt"}

Problem = tuple[str, str, str]  # (field, code, message)
P = "webhook"
# The fields a webhook has: what is stored, and what the OpenAPI document publishes.
WEBHOOK = Shape({
    "url": str, "connectTimeout": int, "readTimeout": int, "global": bool, "applicationIds": ListOf(str),
    "eventsEnabled": dict, "headers": dict, "signatureConfiguration": Shape({"enabled": bool, "signingKeyId": str}),
    "sslCertificate": str, "description": str, "data": dict,
}, required=("url", "connectTimeout", "readTimeout"), description="Timeouts in milliseconds (1-20000).")


def _int_ms(webhook: dict[str, Any], key: str, problems: list[Problem]) -> None:
    value = webhook.get(key)
    if value is None:
        problems.append((f"{P}.{key}", "blank", f"You must specify the [{key}] field (milliseconds)."))
    elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMEOUT_MS:
        problems.append((f"{P}.{key}", "invalid", f"[{key}] must be a number of milliseconds from 1 to {MAX_TIMEOUT_MS}."))


def _certificate(pem: Any, problems: list[Problem]) -> None:
    if pem is None or pem == "":
        return
    try:
        ok = isinstance(pem, str) and len(pem) <= MAX_CERTIFICATE_CHARS and bool(x509.load_pem_x509_certificates(pem.encode()))
    except ValueError:
        ok = False
    if not ok:
        problems.append((f"{P}.sslCertificate", "invalid",
                         f"[sslCertificate] must be X.509 certificates in PEM form, at most {MAX_CERTIFICATE_CHARS} characters."))


def validate(webhook: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The document to store and the problems found (all of them, FusionAuth style)."""
    problems: list[Problem] = []
    url = webhook.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append((f"{P}.url", "blank", "You must specify the [url] field."))
    _int_ms(webhook, "connectTimeout", problems)
    _int_ms(webhook, "readTimeout", problems)
    for key in ("global",):
        if webhook.get(key) is not None and not isinstance(webhook.get(key), bool):
            problems.append((f"{P}.{key}", "invalid", f"[{key}] must be true or false."))
    app_ids = webhook.get("applicationIds")
    if app_ids is not None and (not isinstance(app_ids, list) or len(app_ids) > 100
                                or not all(isinstance(a, str) and len(a) <= 36 for a in app_ids)):
        problems.append((f"{P}.applicationIds", "invalid", "[applicationIds] must be a list of application ids."))
    enabled = webhook.get("eventsEnabled")
    if enabled is not None:
        if not isinstance(enabled, dict) or not all(isinstance(v, bool) for v in enabled.values()):
            problems.append((f"{P}.eventsEnabled", "invalid", "[eventsEnabled] must map event types to true or false."))
        else:
            unknown = sorted(k for k in enabled if k not in EVENT_TYPES)
            if unknown:
                problems.append((f"{P}.eventsEnabled", "invalid", f"Unknown event types: {', '.join(unknown[:5])}."))
    headers = webhook.get("headers")
    if headers is not None:
        if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
            problems.append((f"{P}.headers", "invalid", f"[headers] must be an object of at most {MAX_HEADERS} headers."))
        else:
            for name, value in headers.items():
                if not _TOKEN.match(name) or name.lower() in _RESERVED_HEADERS:
                    problems.append((f"{P}.headers", "invalid", f"The header name [{name[:64]}] is not allowed."))
                elif not isinstance(value, str) or len(value) > 1024 or any(c in value for c in "\r\n\x00"):
                    problems.append((f"{P}.headers", "invalid", f"The value of the header [{name}] is not allowed."))
    sig = webhook.get("signatureConfiguration")
    if sig is not None:
        if not isinstance(sig, dict) or not isinstance(sig.get("enabled", False), bool) or \
                (sig.get("signingKeyId") is not None and not isinstance(sig.get("signingKeyId"), str)):
            problems.append((f"{P}.signatureConfiguration", "invalid",
                             "[signatureConfiguration] must be {enabled: boolean, signingKeyId: key id}."))
        elif sig.get("enabled") and not sig.get("signingKeyId"):
            problems.append((f"{P}.signatureConfiguration.signingKeyId", "blank",
                             "You must specify the [signingKeyId] when signing is enabled."))
    _certificate(webhook.get("sslCertificate"), problems)
    description = webhook.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 255):
        problems.append((f"{P}.description", "invalid", "[description] must be text of at most 255 characters."))
    if webhook.get("data") is not None and not isinstance(webhook.get("data"), dict):
        problems.append((f"{P}.data", "invalid", "[data] must be an object."))
    doc = {k: webhook[k] for k in WEBHOOK.fields if k in webhook}
    if isinstance(doc.get("url"), str):
        doc["url"] = doc["url"].strip()
    doc.setdefault("global", False)
    doc.setdefault("applicationIds", [])
    doc.setdefault("eventsEnabled", {})
    doc.setdefault("headers", {})
    doc.setdefault("signatureConfiguration", {"enabled": False})
    return doc, problems


def wants(doc: dict[str, Any], event_type: str, application_id: str | None) -> bool:
    """Whether the webhook receives this event: the type is enabled, and the webhook is global or
    lists the event's application."""
    if not (doc.get("eventsEnabled") or {}).get(event_type):
        return False
    return bool(doc.get("global")) or (application_id is not None and application_id in (doc.get("applicationIds") or ()))
