"""Reading OAuth request parameters strictly (RFC 6749 section 3.1 and 3.2).

"Request and response parameters MUST NOT be included more than once" and parameters sent
without a value are treated as omitted. Values are capped in size so an oversized parameter is
refused before it reaches storage, templates or logs.

An endpoint that publishes its form (`shapes.form_body(SHAPE)` on the route) reads it with
`read(..., declared=SHAPE)`: asking for a parameter the shape does not name is then a programming
error, so the OpenAPI document lists every parameter the handler and its helpers read.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request

from authgate.errors import InvalidRequest
from authgate.shapes import Shape

MAX_VALUE_CHARS = 2048
MAX_PARAMS = 64


class BadParams(InvalidRequest):
    """A duplicate or oversized parameter; `name` says which (for the authorize step table)."""

    def __init__(self, name: str, description: str, detail: str) -> None:
        super().__init__(description, detail=detail)
        self.name = name


@dataclass(frozen=True)
class Params:
    items: tuple[tuple[str, str], ...]
    declared: frozenset[str] | None = None  # the names the endpoint's published form declares

    def get(self, name: str) -> str | None:
        """The single non-empty value of `name`, None when absent; BadParams when repeated or too long."""
        if self.declared is not None and name not in self.declared:
            raise RuntimeError(f"the parameter {name!r} is read but not declared in the endpoint's form")
        return self._value(name)

    def _value(self, name: str) -> str | None:
        values = [v for k, v in self.items if k == name]
        if len(values) > 1:
            raise BadParams(name, f"The {name} parameter was included more than once.", f"duplicate {name}")
        if not values or values[0] == "":
            return None
        if len(values[0]) > MAX_VALUE_CHARS:
            raise BadParams(name, f"The {name} parameter is too long.", f"oversized {name}: {len(values[0])} chars")
        return values[0]

    def names(self) -> set[str]:
        return {k for k, _ in self.items}

    def check_all(self, skip: frozenset[str] = frozenset()) -> None:
        """Refuse any duplicate or oversized parameter not in `skip`."""
        for name in self.names() - skip:
            self._value(name)

    def as_dict(self, names: tuple[str, ...]) -> dict[str, str]:
        return {n: v for n in names if (v := self.get(n)) is not None}


def _parse(raw: str) -> list[tuple[str, str]]:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, max_num_fields=MAX_PARAMS)
    except ValueError as exc:
        raise InvalidRequest("Too many parameters.", detail=str(exc)) from None
    return pairs


async def read_form(request: Request) -> list[tuple[str, str]]:
    """An `application/x-www-form-urlencoded` body (RFC 6749 appendix B); anything else is refused."""
    raw = await request.body()
    if not raw:
        return []
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise InvalidRequest("The request body must be application/x-www-form-urlencoded.", detail=f"content-type {ctype!r}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("The request body is not valid UTF-8.") from None
    return _parse(text)


async def read(request: Request, *, query: bool = True, body: bool = True, declared: Shape | None = None) -> Params:
    """Parameters from the query string and/or the form body, duplicates kept so they can be refused;
    with `declared`, only the parameters that shape names can be read."""
    items: list[tuple[str, str]] = []
    if query:
        items += _parse(request.url.query)
    if body and request.method == "POST":
        items += await read_form(request)
    return Params(tuple(items), frozenset(declared.fields) if declared is not None else None)
