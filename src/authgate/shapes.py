"""Declared shapes of request bodies: one declaration checks the types and renders the schema.

A route declares its JSON body once, with `web/bodies.declares(Body(...))`; its handler reads the
body with `web/bodies.read_body`, which runs the declaration (every field of the wrong JSON type,
at any depth, FusionAuth style: `[invalid]user.email`), and the OpenAPI document publishes the
same declaration's schema (web/openapi.py): the served document describes exactly what the
handler checks, with no second table to drift (tests/security/test_openapi_bodies.py walks both).
Semantic rules (formats, uniqueness, enums with their own messages) stay in the validators;
`enum` and `description` here only document them. A `closed` shape also refuses unknown fields.
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
    closed: bool = False  # unknown fields are refused (the search endpoints), not ignored
    max_chars: int | None = None  # of every text field at this level

    def problems(self, obj: Any, prefix: str | None) -> list[Problem]:
        """Wrong JSON types in `obj` (absent and null are fine here; `required` is the validator's)."""
        out: list[Problem] = []
        if not isinstance(obj, dict):
            return out
        if self.closed:
            for key in sorted(k for k in obj if k not in self.fields):
                name = f"{prefix}.{key}" if prefix else key
                out.append((name, "invalid", f"[{key}] is not a field here; use one of {', '.join(sorted(self.fields))}."))
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
            elif self.max_chars is not None and isinstance(value, str) and len(value) > self.max_chars:
                out.append((name, "invalid", f"The [{name}] field is longer than {self.max_chars} characters."))
        return out

    def schema(self) -> dict[str, Any]:
        props = {k: _schema(kind) for k, kind in self.fields.items()}
        if self.max_chars is not None:
            props = {k: {**v, "maxLength": self.max_chars} if v.get("type") == "string" else v for k, v in props.items()}
        for key, values in self.enums.items():
            if key in props:
                props[key] = {**props[key], "enum": list(values)}
        out: dict[str, Any] = {"type": "object", "properties": props}
        if self.required:
            out["required"] = list(self.required)
        if self.description:
            out["description"] = self.description
        if self.closed:
            out["additionalProperties"] = False
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


@dataclass(frozen=True)
class Body:
    """A route's JSON request body: `{wrapper: shape}` plus top-level `extra` fields, or the shape
    itself (`wrapper` None).

    `collected`: the handler's validator adds the wrapped shape's problems to its own errors, so a
    request hears of every bad field at once (FusionAuth's way); reading then checks only `extra`.
    Otherwise reading refuses every wrongly typed field before the handler looks at any.
    `ids`: fields naming something (`twoFactorId`) whose wrongly typed value answers 404, as one
    that names nothing does (FusionAuth's answer for an unknown id)."""
    shape: Shape
    wrapper: str | None = None
    extra: dict[str, Kind] = field(default_factory=dict)
    collected: bool = False
    ids: tuple[str, ...] = ()
    optional: bool = False  # the request may have no body at all (its fields may come in the query)

    def problems(self, body: dict[str, Any], *, on_read: bool = False) -> list[Problem]:
        out = Shape(dict(self.extra)).problems(body, None)
        if on_read and self.collected:
            return out
        if self.wrapper is None:
            return self.shape.problems(body, None) + out
        return self.shape.problems(body.get(self.wrapper), self.wrapper) + out

    def schema(self) -> dict[str, Any]:
        if self.wrapper is None:
            schema = self.shape.schema()
            if self.extra:
                schema = {**schema, "properties": {**schema["properties"], **{k: _schema(v) for k, v in self.extra.items()}}}
            return schema
        props = {self.wrapper: self.shape.schema(), **{k: _schema(v) for k, v in self.extra.items()}}
        return {"type": "object", "required": [self.wrapper], "properties": props}

    def openapi(self) -> dict[str, Any]:
        """The operation's `requestBody` (JSON)."""
        return {"required": not self.optional, "content": {"application/json": {"schema": self.schema()}}}


# RFC 7009 section 2.1 and RFC 7662 section 2.1: the token, its hint, and client_secret_post credentials.
TOKEN_HINT_FORM = Shape({"token": str, "token_type_hint": str, "client_id": str, "client_secret": str},
                        required=("token",))


def form_body(shape: Shape) -> dict[str, Any]:
    """`openapi_extra` for an endpoint that reads an `application/x-www-form-urlencoded` body (OAuth)."""
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": shape.schema()}}}}
