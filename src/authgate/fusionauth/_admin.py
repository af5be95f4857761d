"""Shared plumbing of the admin APIs: collecting field errors, JSON merge patch, query numbers.

FusionAuth reports every invalid field of a request at once, so validators add to an `Errors`
collector and raise once at the end instead of stopping at the first problem.
"""
from __future__ import annotations

from typing import Any

from authgate.email_address import is_email  # noqa: F401 - re-exported for the admin validators
from authgate.errors import ApiError

MAX_UPDATE_ATTEMPTS = 5  # optimistic read-modify-write retries before answering 409


class Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[dict[str, str]]] = {}

    def add(self, field: str, code: str, message: str) -> None:
        self.fields.setdefault(field, []).append({"code": f"[{code}]{field}", "message": message})

    def extend(self, problems: list[tuple[str, str, str]]) -> None:
        """Add (field, code, message) problems found by a declared shape (authgate/shapes.py)."""
        for name, code, message in problems:
            if name not in self.fields:  # one complaint per field, as `typed` gives
                self.add(name, code, message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ApiError(400, field_errors=self.fields)

    def typed(self, obj: dict[str, Any], key: str, kind: type | tuple[type, ...], prefix: str) -> Any:
        """obj[key] if it is absent/None or of `kind`; otherwise record `[invalid]prefix.key`."""
        value = obj.get(key)
        # bool is an int subclass in Python, but `true` is not a number in JSON.
        bad_bool = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
        if value is not None and (not isinstance(value, kind) or bad_bool):
            if f"{prefix}.{key}" not in self.fields:  # a declared shape may have said so already
                self.add(f"{prefix}.{key}", "invalid", f"The [{prefix}.{key}] field has the wrong type.")
            return None
        return value


def object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The request's wrapper object (`{"user": {...}}`), or a 400 naming it."""
    value = body.get(name)
    if value is None:
        raise ApiError(400, field_errors={name: [{"code": f"[blank]{name}", "message": f"You must specify the [{name}] object."}]})
    if not isinstance(value, dict):
        raise ApiError(400, field_errors={name: [{"code": f"[invalid]{name}", "message": f"The [{name}] field must be an object."}]})
    return value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge recursively, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


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


def conflict() -> ApiError:
    return ApiError(409, general_errors=[{"code": "[ConcurrentModification]",
                                          "message": "The object was modified by another request; retry."}])
