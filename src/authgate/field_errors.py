"""Collecting a request's field errors: FusionAuth reports every invalid field of a request at
once, so validators add to an `Errors` collector and raise once at the end instead of stopping
at the first problem (a 400 in FusionAuth's `fieldErrors` shape)."""
from __future__ import annotations

from typing import Any

from authgate.errors import ApiError


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
