"""Plain Starlette routes in front of FastAPI's, for endpoints that read their own request.

Most handlers here take only the `Request` and parse it themselves (FusionAuth's error shape
needs every bad field at once). For them FastAPI's per-route machinery does nothing useful yet
costs ~40-50 us a request on the benchmark machine (FastAPI 0.16x walks included routers twice,
solves an empty dependency graph, sets up an exit stack) -- a third of a token validation. Such an
endpoint is therefore also served by a Starlette `Route` placed first in the route list: the same
function, behind the same middleware and exception handlers. FastAPI's route stays behind it, so
the OpenAPI document is unchanged.

Only endpoints whose sole parameter is the request and that no router adds dependencies to
qualify; an API-key dependency can never be skipped this way.
"""
from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match, Route


class PlainRoute(Route):
    """A Starlette route that names itself in the scope, as FastAPI's do (metrics label by it)."""

    def matches(self, scope: Any) -> tuple[Match, Any]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


def _takes_only_request(route: APIRoute) -> bool:
    params = list(inspect.signature(route.endpoint).parameters.values())
    return (len(params) == 1 and params[0].annotation in (Request, "Request")
            and not route.dependencies and not route.dependant.dependencies)


def _routes(router: Any) -> Iterator[APIRoute]:
    """APIRoutes reachable without a router-level dependency (FastAPI >= 0.16x keeps included
    routers nested; older versions copy their routes in)."""
    if getattr(router, "dependencies", None):
        return
    for route in router.routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            if not getattr(getattr(route, "include_context", None), "dependencies", None):
                yield from _routes(nested)
        elif isinstance(route, APIRoute):
            yield route


class PlainRoutes(BaseRoute):
    """The plain routes of fixed paths, found by one dict lookup rather than a regex each."""

    def __init__(self, routes: list[PlainRoute]) -> None:
        self.by_path: dict[str, list[PlainRoute]] = {}
        for route in routes:
            self.by_path.setdefault(route.path, []).append(route)

    def matches(self, scope: Any) -> tuple[Match, Any]:
        for route in self.by_path.get(scope.get("path", ""), ()):
            match, child = route.matches(scope)
            if match is Match.FULL:
                return match, child
        return Match.NONE, {}  # nor a method of ours (PARTIAL): FastAPI's route answers 405

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        await scope["route"].handle(scope, receive, send)


def install(app: FastAPI, routers: list[Any]) -> list[str]:
    """Put a plain route first for every qualifying endpoint; returns their paths."""
    plain = []
    for r in (r for router in routers for r in _routes(router) if _takes_only_request(r)):
        if "{" in r.path:
            continue  # only fixed paths: the lookup is by the whole path
        route = PlainRoute(r.path, r.endpoint, methods=sorted(r.methods), name=r.name, include_in_schema=False)
        route.methods = set(r.methods)  # Starlette would add HEAD to a GET; FastAPI's route answers 405
        plain.append(route)
    app.router.routes.insert(0, PlainRoutes(plain))
    return [r.path for r in plain]
