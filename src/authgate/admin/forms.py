"""Small helpers shared by the console's forms: the API's errors beside the fields, numbers, paging."""
from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from authgate.errors import ApiError

PAGE = 50


def api_errors(exc: ApiError, prefix: str = "") -> dict[str, list[str]]:
    """FusionAuth field errors keyed by form field (the API path without `prefix`); the rest under
    "general". 404s and other errors without fields become one general message."""
    out: dict[str, list[str]] = {}
    for name, errs in exc.field_errors.items():
        key = name[len(prefix):] if prefix and name.startswith(prefix) else name
        out.setdefault(key, []).extend(str(e.get("message", "Invalid value.")) for e in errs)
    general = [str(e.get("message", "")) for e in exc.general_errors if e.get("message")]
    if general or not out:
        out["general"] = general or ["The request was refused."]
    return out


def number(raw: str) -> Any:
    """A whole number from a text field; blank is None (not set); anything else is passed on as
    text, so the API's own validation names the field."""
    if raw == "":
        return None
    return int(raw) if re.fullmatch(r"-?[0-9]{1,11}", raw) else raw


def start_of(request: Request) -> int:
    raw = request.query_params.get("start", "0")
    return min(int(raw), 10**6) if raw.isdigit() and len(raw) < 8 else 0


def pagination(request: Request, rows: list[Any]) -> tuple[int, list[Any], bool]:
    """(start, the rows of this page, whether more follow) of an in-memory list."""
    start = start_of(request)
    return start, rows[start:start + PAGE], len(rows) > start + PAGE
