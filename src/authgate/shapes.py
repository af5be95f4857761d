"""Declared shapes of request bodies: one declaration checks the types and renders the schema.

A handler's validator runs `SHAPE.problems(obj, "user")` (every field of the wrong JSON type, at
any depth, FusionAuth style: `[invalid]user.email`), and the route publishes
`request_body("user", SHAPE)` as its OpenAPI request body: the served document describes
exactly what the handler checks, with no second table to drift (`web/openapi.py` adds only the
error responses). Semantic rules (formats, uniqueness, enums with their own messages) stay in
the validators; `enum` and `description` here only document them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

Kind = Union[type, tuple[type, ...], "Shape", "ListOf"]
Problem = tuple[str, str, str]  # (field, code, message)

_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


@dataclass(frozen=True)
class ListOf:
    item: Kind


@dataclass(frozen=True)
class Shape:
    fields: dict[str, Kind]
    required: tuple[str, ...] = ()
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""

    def problems(self, obj: Any, prefix: str | None) -> list[Problem]:
        """Wrong JSON types in `obj` (absent and null are fine here; `required` is the validator's)."""
        out: list[Problem] = []
        if not isinstance(obj, dict):
            return out
        for key, kind in self.fields.items():
            value = obj.get(key)
            if value is None:
                continue
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(kind, Shape):
                if not isinstance(value, dict):
                    out.append(_wrong(name))
                else:
                    out.extend(kind.problems(value, name))
            elif isinstance(kind, ListOf):
                if not isinstance(value, list):
                    out.append(_wrong(name))
                elif isinstance(kind.item, Shape):
                    for i, item in enumerate(value):
                        out.extend(kind.item.problems(item, f"{name}[{i}]")) if isinstance(item, dict) \
                            else out.append(_wrong(name))
            elif not is_kind(value, kind):
                out.append(_wrong(name))
        return out

    def schema(self) -> dict[str, Any]:
        props = {k: _schema(kind) for k, kind in self.fields.items()}
        for key, values in self.enums.items():
            if key in props:
                props[key] = {**props[key], "enum": list(values)}
        out: dict[str, Any] = {"type": "object", "properties": props}
        if self.required:
            out["required"] = list(self.required)
        if self.description:
            out["description"] = self.description
        return out


def is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:  # `true` is not a number in JSON
        return False
    return isinstance(value, kinds)


def _wrong(name: str) -> Problem:
    return (name, "invalid", f"The [{name}] field has the wrong type.")


def _schema(kind: Kind) -> dict[str, Any]:
    if isinstance(kind, Shape):
        return kind.schema()
    if isinstance(kind, ListOf):
        return {"type": "array", "items": _schema(kind.item)}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    types = [_JSON_TYPES[k] for k in kinds if k in _JSON_TYPES]
    return {"type": types[0]} if len(types) == 1 else {"type": types}


# RFC 7009 section 2.1 and RFC 7662 section 2.1: the token, its hint, and client_secret_post credentials.
TOKEN_HINT_FORM = Shape({"token": str, "token_type_hint": str, "client_id": str, "client_secret": str},
                        required=("token",))


def form_body(shape: Shape) -> dict[str, Any]:
    """`openapi_extra` for an endpoint that reads an `application/x-www-form-urlencoded` body (OAuth)."""
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": shape.schema()}}}}


def pydantic_body(model: Any) -> dict[str, Any]:
    """`openapi_extra` for a handler that validates its body with a pydantic model: the model's schema."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def request_body(wrapper: str | None, shape: Shape, *, extra: dict[str, Kind] | None = None) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `{wrapper: <shape>}` (or the shape itself)."""
    schema = shape.schema() if wrapper is None else \
        {"type": "object", "required": [wrapper], "properties": {wrapper: shape.schema()}}
    for key, kind in (extra or {}).items():
        schema["properties"][key] = _schema(kind)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
