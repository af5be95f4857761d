"""A route's JSON body, declared once (authgate/shapes.py `Body`) and read through the declaration.

    @router.post("/api/thing")
    @declares(Body(THING, "thing"))
    async def create(request: Request) -> Response:
        body = await read_body(request)

`declares` marks the endpoint; `read_body` finds the declaration of the endpoint being served
(the request's scope names it, whether FastAPI or the front door routed it) and refuses what it
forbids; web/openapi.py publishes the same declaration as the operation's request body. So the
document cannot describe a body the handler does not check, and a handler cannot read a body
it did not declare (that is a programming error, a 500 the tests would see).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from authgate.errors import ApiError, not_found
from authgate.shapes import Body
from authgate.web.errors import read_json_object

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__authgate_body__"


def declares(body: Body) -> Callable[[F], F]:
    """Mark an endpoint as reading `body` (put it under the route decorators)."""
    def mark(endpoint: F) -> F:
        setattr(endpoint, _ATTRIBUTE, body)
        return endpoint
    return mark


def declared(endpoint: Any) -> Body | None:
    return getattr(endpoint, _ATTRIBUTE, None)


async def read_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, checked against its endpoint's declaration (FusionAuth's 400)."""
    body = declared(request.scope.get("endpoint"))
    if body is None:
        raise RuntimeError(f"{request.method} {request.url.path}: the endpoint reads a body it does not declare")
    data = await read_json_object(request)
    problems = body.problems(data, on_read=True)
    for name, _, _ in problems:
        if name in body.ids:
            raise not_found(name)
    if problems:
        fields: dict[str, list[dict[str, str]]] = {}
        for name, code, message in problems:
            fields.setdefault(name, [{"code": f"[{code}]{name}", "message": message}])
        raise ApiError(400, field_errors=fields)
    return data
