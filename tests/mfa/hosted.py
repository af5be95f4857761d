"""Driving the hosted login's forms over HTTP, form by form (a page may hold several)."""
from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from typing import Any


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str | None], dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a, {}))
        elif tag == "input" and a.get("name") and self.forms:
            self.forms[-1][1][str(a["name"])] = a.get("value") or ""


def forms(page: str) -> list[tuple[dict[str, str | None], dict[str, str]]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_with(page: str, field: str) -> dict[str, str]:
    """The fields of the first form that has `field`."""
    return dict(next(fields for _, fields in forms(page) if field in fields))


def passkey_form(page: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The WebAuthn options the page gives its script, and the form the answer goes back in."""
    attrs, fields = next((a, f) for a, f in forms(page) if "webauthnResponse" in f)
    return json.loads(html.unescape(str(attrs["data-options"]))), dict(fields)
