"""Request parsing shared by the admin APIs: the wrapper object of a body, query numbers.
(Field errors are collected by authgate/field_errors.py, patches merged by merge_patch.py.)"""
from __future__ import annotations

from typing import Any

from authgate.errors import ApiError


def object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The request's wrapper object (`{"user": {...}}`), or a 400 naming it."""
    value = body.get(name)
    if value is None:
        raise ApiError(400, field_errors={name: [{"code": f"[blank]{name}", "message": f"You must specify the [{name}] object."}]})
    if not isinstance(value, dict):
        raise ApiError(400, field_errors={name: [{"code": f"[invalid]{name}", "message": f"The [{name}] field must be an object."}]})
    return value


def query_int(raw: Any, name: str, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if isinstance(raw, bool) or value < 0:
        raise ApiError(400, field_errors={name: [{"code": f"[invalid]{name}", "message": f"[{name}] must be a non-negative integer."}]})
    return min(value, maximum)
