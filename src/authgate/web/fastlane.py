"""The front door: requests for endpoints that read their own request skip FastAPI's machinery.

Most handlers here take only the `Request` and parse it themselves (FusionAuth's error shape
needs every bad field at once). For them FastAPI and Starlette add nothing but cost: six nested
middlewares, a walk of nested routers that matches each route twice, an empty dependency graph
solved per request, an exit stack, and three wrappers around every `send` -- measured on the
benchmark machine, more than half of a token validation. So the application is built as

    our middleware (metrics, body cap, CORS, rate limit) -> FrontDoor -> FastAPI's whole stack

and the front door answers a request whose exact (path, method) belongs to such an endpoint by
calling the endpoint itself, rendering any exception with the application's own exception
handlers, exactly as FastAPI would. Everything else goes on to FastAPI unchanged, and FastAPI's
routes stay registered, so the OpenAPI document does not change.

Only endpoints whose sole parameter is the request and that no router adds dependencies to
qualify; an API-key dependency can never be skipped this way.
"""
from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send


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


def plain_routes(routers: list[Any]) -> list[Route]:
    """A Starlette route (path, methods, endpoint) for every qualifying endpoint of fixed path."""
    plain = []
    for r in (r for router in routers for r in _routes(router) if _takes_only_request(r)):
        if "{" in r.path:
            continue  # only fixed paths: the door looks up the whole path
        route = Route(r.path, r.endpoint, methods=sorted(r.methods), name=r.name, include_in_schema=False)
        route.methods = set(r.methods)  # Starlette would add HEAD to a GET; FastAPI's route answers 405
        plain.append(route)
    return plain


class FrontDoor:
    def __init__(self, app: FastAPI, inner: ASGIApp, routes: list[Route]) -> None:
        self.app, self.inner = app, inner
        self.routes = {(r.path, m): r for r in routes for m in r.methods or ()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get((scope.get("path"), scope.get("method"))) if scope["type"] == "http" else None
        if route is None:
            return await self.inner(scope, receive, send)
        # What Starlette's app and router would have put in the scope for this endpoint.
        scope["app"], scope["router"], scope["route"] = self.app, self.app.router, route
        scope["endpoint"], scope["path_params"] = route.endpoint, {}
        request = Request(scope, receive, send)
        try:
            response = await route.endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Any:
        """The application's handler for `exc`, looked up as Starlette's ExceptionMiddleware does."""
        handlers = self.app.exception_handlers
        if isinstance(exc, HTTPException) and exc.status_code in handlers:
            return handlers[exc.status_code]
        return next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers), None)


class App(FastAPI):
    """FastAPI with our middleware outside its stack and the front door between the two."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.edge: list[Middleware] = []  # outermost first
        self.plain: list[Route] = []

    def build_middleware_stack(self) -> ASGIApp:
        app: ASGIApp = FrontDoor(self, super().build_middleware_stack(), self.plain)
        for cls, args, kwargs in reversed(self.edge):
            app = cls(app, *args, **kwargs)
        return app
