"""The application factory: routers, error rendering, middleware, start-up."""
from __future__ import annotations

import inspect
import logging
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Any, AsyncIterator

from fastapi import FastAPI
from starlette.middleware import Middleware

from authgate import __version__
from authgate.config import Settings
from authgate.console import ensure_console_app
from authgate.registry import Registry
from authgate.retention import Janitor
from authgate.storage import migrate
from authgate.storage.repos import Conflict
from authgate.web import errors, fastlane, openapi
from authgate.web.context import RequestScope
from authgate.web.metrics import Metrics
from authgate.web.middleware import BodyLimit, Cors, OriginRegistry
from authgate.web.cookie_planting import OneOfEach
from authgate.web.no_store import NoStore
from authgate.web.proxy import ProxyHeaders
from authgate.web.rate_limit import RateLimit

log = logging.getLogger("authgate")

# Every router, in one place. Each module exposes `router`. No two routers share a path, so the
# order only decides how soon FastAPI finds a route; the per-request endpoints are answered by
# the front door (web/fastlane.py) before FastAPI's routing in any case.
ROUTERS = (
    "authgate.fusionauth.jwt_api",
    "authgate.oauth2.routes",
    "authgate.ui.authorize",
    "authgate.oidc.userinfo",
    "authgate.oidc.logout",
    "authgate.oidc.discovery",
    "authgate.fusionauth.login",
    "authgate.web.health",
    "authgate.fusionauth.users",
    "authgate.fusionauth.applications",
    "authgate.fusionauth.registrations",
    "authgate.fusionauth.keys",
    "authgate.fusionauth.api_keys",
    "authgate.fusionauth.two_factor",
    "authgate.fusionauth.webauthn",
    "authgate.ui.assets",
    "authgate.ui.account_mfa",
    "authgate.fusionauth.system",
    "authgate.fusionauth.webhooks",
    "authgate.web.docs_page",
    "authgate.admin.routes",
    "authgate.fusionauth.user_actions",
    "authgate.ui.register",
    "authgate.ui.password",
    "authgate.ui.verify",
    "authgate.ui.account",
)


async def start(reg: Registry) -> None:
    """Migrate, make sure a signing key exists, create the bootstrap API key."""
    await migrate.upgrade(reg.db.engine)
    await reg.keys.ensure_default()
    await ensure_console_app(reg)
    key = reg.settings.api_key
    if key and await reg.db.api_keys.find_by_key(key) is None:
        try:
            await reg.db.api_keys.create(key, {"permissions": {"endpoints": {}}, "metaData": {"attributes": {"description": "bootstrap"}}})
            log.info("created the bootstrap superuser API key from AUTHGATE_API_KEY")
        except Conflict:
            pass  # another node created it at the same moment


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_registry = registry is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        janitor = None
        if owns_registry:
            await start(app.state.registry)
            janitor = Janitor(app.state.registry, app.state.registry.settings.purge_interval_seconds)
            janitor.start()
        app.state.registry.webhooks.start()  # this node's webhook deliverer (authgate/webhooks/deliver.py)
        app.state.registry.mail.start()  # the outbox sender (authgate/mail/sender.py)
        yield
        await app.state.registry.mail.stop()
        await app.state.registry.webhooks.stop()
        if owns_registry:
            if janitor is not None:
                await janitor.stop()
            await app.state.registry.close()

    options: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        on = settings.opentelemetry
        options["telemetry"] = {"tracing": on, "metrics": on, "logs": on}
    # No trailing-slash redirects: Starlette builds their Location from the request's Host header,
    # so a forged Host was echoed into a redirect (cache poisoning, open redirect). `/api/user/` is
    # a 404 like any other unknown path; our links never end in a slash.
    app = fastlane.App(title="authgate", version=__version__, lifespan=lifespan,
                       docs_url=None, redoc_url=None, redirect_slashes=False, **options)
    app.state.registry = registry or Registry(settings)
    app.state.origins = OriginRegistry(app.state.registry.db)
    app.state.metrics_networks = settings.metrics_allowed_networks
    errors.install(app)
    openapi.install(app)
    routers = [import_module(name).router for name in ROUTERS]
    for router in routers:
        app.include_router(router)
    app.plain = fastlane.plain_routes(routers)
    # Outermost first; all of it outside FastAPI's stack, so the front door's requests pass it too.
    app.edge = [Middleware(RequestScope, access_log=settings.access_log), Middleware(Metrics), Middleware(NoStore),
                Middleware(OneOfEach, issuer=settings.resolved_issuer),
                Middleware(BodyLimit, limit=settings.max_body_bytes),
                Middleware(Cors, origins=app.state.origins)]
    if settings.trusted_proxies:  # outermost: everything after sees the client's scheme and address
        app.edge.insert(0, Middleware(ProxyHeaders, trusted_proxies=settings.trusted_proxies))
    if app.state.registry.limiter is not None:
        app.edge.append(Middleware(RateLimit, limiter=app.state.registry.limiter))
    return app
